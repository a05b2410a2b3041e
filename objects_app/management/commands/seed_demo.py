from django.core.management.base import BaseCommand

from objects_app.demo import DEMO_BUCKET, demo_seed
from objects_app.storage import get_cos_client


class Command(BaseCommand):
    help = "Create and fill the demo bucket in the configured COS (coslocal under `make run`)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--bucket", default=DEMO_BUCKET)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        seeded = demo_seed(get_cos_client(), options["bucket"])
        state = "seeded" if seeded else "already seeded"
        self.stdout.write(f"Demo bucket {options['bucket']}: {state}")
