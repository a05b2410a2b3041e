from django.apps import AppConfig


class ObjectsAppConfig(AppConfig):
    name = "objects_app"
    verbose_name = "COS objects"

    def ready(self) -> None:
        # Each job kind registers itself (and its Celery task) when its module is imported.
        from objects_app.jobs import registry

        registry.load()
