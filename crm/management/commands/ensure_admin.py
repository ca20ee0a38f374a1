"""`manage.py ensure_admin`: make sure there is a superuser to sign in with, and say how to sign in."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.models import User
from crm.services.users import user_role_apply
from leadflow.audit import record
from leadflow.roles import Role

CREDENTIALS_FILE_NAME = ".leadflow-admin.txt"  # gitignored


def credentials_write(path: Path, email: str, password: str) -> None:
    """Write "email\\npassword\\n" readable by the owner only, even if the file was there before."""
    # O_NOFOLLOW: never write the password through a symlink someone left in its place.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(f"{email}\n{password}\n")


def credentials_read(path: Path) -> tuple[str, str] | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, PermissionError, UnicodeDecodeError):
        return None
    if len(lines) < 2 or not lines[0].strip() or not lines[1]:
        return None
    return lines[0].strip(), lines[1]


class Command(BaseCommand):
    help = "Create the first superuser with a random password if there is none, and print the admin login."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", default="admin@leadflow.local", help="Email of the superuser to create.")
        parser.add_argument(
            "--credentials-file",
            type=Path,
            default=None,
            help=f"Where the generated login is kept (default: BASE_DIR/{CREDENTIALS_FILE_NAME}).",
        )

    def handle(self, *args, email: str, credentials_file: Path | None, **options) -> None:
        path = credentials_file or Path(settings.BASE_DIR) / CREDENTIALS_FILE_NAME
        email = email.strip().lower()
        superusers = User.objects.filter(is_superuser=True, is_active=True).order_by("pk")
        if not superusers.exists():
            self.stdout.write(f"Admin login: {email} / {self.admin_create(email, path)}")
            return
        saved = credentials_read(path)
        if saved is not None:
            saved_email, saved_password = saved
            user = superusers.filter(email__iexact=saved_email).first()
            # A stale file (the admin changed the password since) must not be shown as the login.
            if user is not None and user.check_password(saved_password):
                self.stdout.write(f"Admin login: {user.email} / {saved_password}")
                return
        self.stdout.write(f"Admin login: {superusers.first().email} (password set earlier)")

    @staticmethod
    def admin_create(email: str, path: Path) -> str:
        """Create the superuser and save its login; if the file cannot be written, no user is left behind."""
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"{email} already has an account that is not an active superuser; use --email.")
        password = secrets.token_urlsafe(18)
        with transaction.atomic():
            user = User.objects.create_superuser(email=email, password=password)
            user_role_apply(user, Role.ADMIN)
            record(
                "user.created", channel="command", target=user, details={"role": Role.ADMIN.value, "superuser": True}
            )
            try:
                credentials_write(path, user.email, password)
            except OSError as exc:
                raise CommandError(f"Could not write {path}: {exc.strerror}; no admin was created.") from exc
        return password
