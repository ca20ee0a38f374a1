"""Staff accounts: admins invite people and set their roles; nobody signs up alone."""

from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from crm.models import User
from crm.normalize import time_zone_names
from leadflow.audit import SECRET_CHANGED, audit_changes, record
from leadflow.roles import STAFF_ROLES, Role, require_admin, role_from_groups


def user_role_apply(user: User, role: Role) -> None:
    """Give a user one role (no permission check: callers are admins' services and setup commands)."""
    user.groups.set([Group.objects.get(name=role.value)])
    # Admins and managers work the back office too; the admin site checks is_staff.
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=["is_staff"])
    user._leadflow_role = role if not user.is_superuser else Role.ADMIN


def invitation_url(request: HttpRequest, user: User) -> str:
    """A one-time link where the invited person chooses a password (allauth's reset-from-key page)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return request.build_absolute_uri(path)


@transaction.atomic
def user_invite(
    *, request: HttpRequest, actor: User, email: str, role: Role, first_name: str = "", last_name: str = ""
) -> User:
    """Create an account with no password and email the person a link to choose one."""
    require_admin(actor)
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this email already has an account."})
    user = User.objects.create_user(email=email, password=None, first_name=first_name, last_name=last_name)
    user_role_apply(user, role)
    record("user.invited", request=request, target=user, details={"role": role.value})
    link = invitation_url(request, user)
    context = {"user": user, "inviter": actor, "link": link}
    transaction.on_commit(
        lambda: send_mail(
            subject=f"{actor} invited you to Leadflow",
            message=render_to_string("crm/email/invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    )
    return user


def user_set_role(*, user: User, role: Role, actor: User) -> User:
    require_admin(actor)
    if user.pk == actor.pk and role != Role.ADMIN:
        raise ValidationError("You cannot take away your own admin role.")
    before = user_role_stored(user)
    user_role_apply(user, role)
    if before != role:
        record("user.role_changed", actor=actor, target=user, changes={"role": [before, role.value]})
    return user


def user_role_stored(user: User) -> str | None:
    """The user's role as the database has it now (not the one remembered on the object)."""
    role = role_from_groups(user, set(Group.objects.filter(user=user).values_list("name", flat=True)))
    return role.value if role else None


def user_set_active(*, user: User, active: bool, actor: User) -> User:
    """Deactivate (or bring back) an account; its leads and history stay."""
    require_admin(actor)
    if user.pk == actor.pk:
        raise ValidationError("You cannot deactivate yourself.")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        record("user.reactivated" if active else "user.deactivated", actor=actor, target=user)
    return user


def user_set_time_zone(*, user: User, time_zone: str, actor: User) -> User:
    """Choose the zone the user's times are shown in (empty: the site's); people change only their own."""
    if actor.pk != user.pk:
        require_admin(actor)
    if time_zone and time_zone not in time_zone_names():
        raise ValidationError({"time_zone": f"{time_zone} is no time zone name such as Europe/Paris."})
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    return user


def user_set_notify_by_email(*, user: User, notify: bool, actor: User) -> User:
    """Whether the user is emailed their notifications too (a reply came); people change only their own."""
    if actor.pk != user.pk:
        require_admin(actor)
    user.notify_by_email = notify
    user.save(update_fields=["notify_by_email"])
    return user


def user_saved_in_back_office(*, user: User, before: dict, role_before: str | None, actor: User) -> None:
    """Record an account made or changed on the Django admin's user form, with its fields and role before and after.
    (The form saves the user and its groups itself; this runs once both are saved.)"""
    created = before.get("email") is None
    changes = audit_changes(before, user)
    role_after = user_role_stored(user)
    if role_after != role_before:
        changes["role"] = [role_before, role_after]
    if created or changes:
        record("user.created" if created else "user.changed", actor=actor, target=user, changes=changes)


def user_password_set_in_back_office(*, user: User) -> None:
    """Record that an admin (the signed-in user of the request being served) set someone's password, or turned it
    off, on the Django admin's password form: that it changed, never what it is."""
    details = {"usable": user.has_usable_password()}
    record("user.password_set", target=user, changes={"password": SECRET_CHANGED}, details=details)


@transaction.atomic
def users_delete(*, users: list[User], actor: User) -> int:
    """Delete accounts (the Django admin); their leads become unassigned, their audit events keep their email."""
    require_admin(actor)
    for user in users:
        record("user.deleted", actor=actor, target=user, details={"email": user.email, "role": user_role_stored(user)})
    User.objects.filter(pk__in=[user.pk for user in users]).delete()
    return len(users)
