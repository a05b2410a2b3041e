from django.urls import path

from objects_app.views import (
    audit,
    browse,
    deletes,
    exposure,
    history_jobs,
    jobs,
    multipart,
    objects,
    permissions,
    restores,
    uploads,
    versions,
)

app_name = "objects"

# Bucket names are `<name>-<appid>`: lowercase letters, digits and dashes, so <slug:> fits.
# Object keys never go in the path: they travel in the query string (`?key=`), safely encoded.
urlpatterns = [
    # --- browsing and object management (issue 5) ---
    path("", browse.bucket_list, name="bucket-list"),
    path("b/<slug:bucket>/", browse.object_list, name="object-list"),
    path("b/<slug:bucket>/object/", objects.object_detail, name="object-detail"),
    path("b/<slug:bucket>/download/", objects.object_download, name="object-download"),
    path("b/<slug:bucket>/share/", objects.object_share, name="object-share"),
    path("b/<slug:bucket>/upload/", objects.object_upload, name="object-upload"),
    path("b/<slug:bucket>/folder/", objects.folder_create, name="folder-create"),
    path("b/<slug:bucket>/delete/", objects.object_delete, name="object-delete"),
    path("b/<slug:bucket>/delete-selected/", browse.objects_delete, name="objects-delete"),
    path("b/<slug:bucket>/copy/", objects.object_copy, name="object-copy"),
    path("b/<slug:bucket>/metadata/", objects.object_metadata, name="object-metadata"),
    path(
        "b/<slug:bucket>/storage-class/", objects.object_storage_class, name="object-storage-class"
    ),
    path("b/<slug:bucket>/restore/", objects.object_restore, name="object-restore"),
    # --- archive restores at scale (issue 14) ---
    path("b/<slug:bucket>/restore-states/", restores.restore_states, name="restore-states"),
    path("b/<slug:bucket>/restore-many/", restores.restore_dialog, name="restore-dialog"),
    path("b/<slug:bucket>/restore-plan/", restores.restore_plan, name="restore-plan"),
    path("restores/<int:job_id>/", restores.restore_campaign, name="restore-campaign"),
    path("restores/<int:job_id>/objects.csv", restores.restore_campaign_csv, name="restore-csv"),
    path("notifications/", restores.notification_list, name="notification-list"),
    path("notifications/badge/", restores.notification_badge, name="notification-badge"),
    # --- version history (issue 12) ---
    path("b/<slug:bucket>/versions/", versions.object_versions, name="object-versions"),
    path("b/<slug:bucket>/versions/preview/", versions.version_preview, name="version-preview"),
    path("b/<slug:bucket>/versions/compare/", versions.version_compare, name="version-compare"),
    path(
        "b/<slug:bucket>/versions/make-current/",
        versions.version_make_current,
        name="version-make-current",
    ),
    path("b/<slug:bucket>/versions/delete/", versions.version_delete, name="version-delete"),
    path("b/<slug:bucket>/undelete/", versions.objects_undelete, name="objects-undelete"),
    path("b/<slug:bucket>/versioning/", versions.bucket_versioning, name="bucket-versioning"),
    path("audit/", audit.audit_list, name="audit-list"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    # --- version-history jobs (issue 12) ---
    path("b/<slug:bucket>/rewind/", history_jobs.rewind_dialog, name="rewind-dialog"),
    path("b/<slug:bucket>/rewind/plan/", history_jobs.rewind_plan, name="rewind-plan"),
    path("jobs/<int:job_id>/confirm-rewind/", history_jobs.rewind_confirm, name="rewind-confirm"),
    path("jobs/<int:job_id>/undo-rewind/", history_jobs.rewind_undo_plan, name="rewind-undo"),
    path("b/<slug:bucket>/noncurrent/", history_jobs.noncurrent_dialog, name="noncurrent-dialog"),
    path("b/<slug:bucket>/noncurrent/plan/", history_jobs.noncurrent_plan, name="noncurrent-plan"),
    path(
        "jobs/<int:job_id>/confirm-noncurrent/",
        history_jobs.noncurrent_confirm,
        name="noncurrent-confirm",
    ),
    # --- jobs (issue 6) ---
    path("b/<slug:bucket>/summary/", jobs.prefix_summary, name="prefix-summary"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job-detail"),
    path("jobs/", jobs.job_list, name="job-list"),
    path("jobs/<int:job_id>/cancel/", jobs.job_cancel, name="job-cancel"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="job-retry"),
    path("jobs/<int:job_id>/confirm/", jobs.job_confirm, name="job-confirm"),
    path("jobs/<int:job_id>/report.csv", jobs.job_report, name="job-report"),
    path("b/<slug:bucket>/job-notices/", jobs.job_notices, name="job-notices"),
    path("b/<slug:bucket>/batch-delete/", deletes.delete_plan, name="delete-plan"),
    path(
        "b/<slug:bucket>/batch-delete-selected/", deletes.delete_selection, name="delete-selection"
    ),
    path("jobs/<int:job_id>/confirm-delete/", deletes.delete_confirm, name="delete-confirm"),
    path("b/<slug:bucket>/large-upload/", uploads.upload_start, name="upload-start"),
    path("uploads/<int:job_id>/", uploads.upload_status, name="upload-status"),
    path("uploads/<int:job_id>/chunks/<int:index>", uploads.upload_chunk, name="upload-chunk"),
    # --- unfinished multipart uploads (issue 11) ---
    path("b/<slug:bucket>/unfinished/", multipart.unfinished_list, name="unfinished-list"),
    path("b/<slug:bucket>/unfinished/parts/", multipart.unfinished_parts, name="unfinished-parts"),
    path("b/<slug:bucket>/unfinished/abort/", multipart.unfinished_abort, name="unfinished-abort"),
    path(
        "b/<slug:bucket>/unfinished/abort-selected/",
        multipart.unfinished_abort_selected,
        name="unfinished-abort-selected",
    ),
    path(
        "b/<slug:bucket>/unfinished/abort-older/",
        multipart.unfinished_abort_older,
        name="unfinished-abort-older",
    ),
    path(
        "b/<slug:bucket>/unfinished/summary/",
        multipart.unfinished_summary,
        name="unfinished-summary",
    ),
    # --- permissions (issue 13) ---
    path("b/<slug:bucket>/permissions/", permissions.bucket_permissions, name="bucket-permissions"),
    path(
        "b/<slug:bucket>/permissions/acl/", permissions.bucket_acl_update, name="bucket-acl-update"
    ),
    path(
        "b/<slug:bucket>/permissions/policy/",
        permissions.bucket_policy_update,
        name="bucket-policy-update",
    ),
    path(
        "b/<slug:bucket>/permissions/policy/delete/",
        permissions.bucket_policy_delete,
        name="bucket-policy-delete",
    ),
    path(
        "b/<slug:bucket>/object/permissions/",
        permissions.object_permissions,
        name="object-permissions",
    ),
    path("b/<slug:bucket>/object/acl/", permissions.object_acl_update, name="object-acl-update"),
    path("b/<slug:bucket>/exposure/", exposure.exposure_audits, name="exposure-audits"),
    path("exposure/<int:job_id>/", exposure.exposure_report, name="exposure-report"),
    path(
        "exposure/<int:job_id>/report.csv", exposure.exposure_report_csv, name="exposure-report-csv"
    ),
    path("b/<slug:bucket>/exposure/start/", exposure.audit_start, name="exposure-audit-start"),
    path("b/<slug:bucket>/make-private/", exposure.make_private, name="make-private-start"),
    path(
        "jobs/<int:job_id>/make-private/confirm/",
        exposure.make_private_confirm,
        name="make-private-confirm",
    ),
]
