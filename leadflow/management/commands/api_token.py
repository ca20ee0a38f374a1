"""manage.py api_token EMAIL --name NAME [--read-only] [--days N]: a personal API token, printed once."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.models import User
from leadflow.api.tokens import api_token_create


class Command(BaseCommand):
    help = "Make a personal API token for a user and print it (it is shown this once; only its hash is kept)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", required=True, help="What will use the token (shown in the user's settings).")
        parser.add_argument("--read-only", action="store_true", help="The token may read but not change anything.")
        parser.add_argument("--days", type=int, default=0, help="Expire after this many days (0: never).")

    def handle(self, *args, email: str, name: str, read_only: bool, days: int, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user with the email {email}.")
        expires_at = timezone.now() + timedelta(days=days) if days > 0 else None
        try:
            issued = api_token_create(
                user=user, name=name, read_only=read_only, expires_at=expires_at, channel="command"
            )
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        token = issued.token
        expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires"
        self.stderr.write(f"Token {token.name!r} for {user.email}: {token.scope}, {expiry}. Shown once:")
        self.stdout.write(issued.secret)
