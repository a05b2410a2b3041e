import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the admin user on first start and print the login."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        username = os.environ.get("CONSOLE_ADMIN_USER", "admin")
        password = os.environ.get("CONSOLE_ADMIN_PASSWORD", "")
        # A generated password is kept (owner-only) so later starts can print the login again.
        saved = Path(settings.VAR_DIR) / "admin-password.txt"
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password = password or secrets.token_urlsafe(12)
            user_model.objects.create_superuser(username=username, password=password, email="")
            if not os.environ.get("CONSOLE_ADMIN_PASSWORD"):
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(password + "\n")
                saved.chmod(0o600)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        elif saved.exists():
            password = saved.read_text().strip()
        shown = password or "(unchanged; set CONSOLE_ADMIN_PASSWORD to reset it)"
        self.stdout.write(f"Login: {username} / {shown}")
