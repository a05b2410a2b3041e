from django.contrib import admin

from objects_app.models import AuditEvent, Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "state",
        "phase",
        "bucket",
        "user",
        "done",
        "failed",
        "skipped",
        "created_at",
    )
    list_filter = ("kind", "state")
    search_fields = ("bucket",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "bucket", "key", "outcome", "request_id")
    list_filter = ("action", "outcome")
    search_fields = ("username", "bucket", "key", "request_id")

    # The audit trail is append-only, also for admins.
    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
