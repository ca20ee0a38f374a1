"""Who a management command acts as: the person named with --user, else the first admin."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Q

from crm.models import User
from leadflow.roles import Role


def command_actor(email: str | None) -> User:
    users = User.objects.filter(is_active=True)
    if email:
        user = users.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"There is no active user with the email address {email!r}.")
        return user
    admin = users.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN)).order_by("pk").first()
    if admin is None:
        raise CommandError("There is no admin to act as; name one with --user.")
    return admin
