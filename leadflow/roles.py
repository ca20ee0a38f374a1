"""Who may do what: the four roles are Django groups, and every permission question is answered here."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.http import HttpRequest

    from crm.models import Lead, LeadList, User


class Role(StrEnum):
    ADMIN = "Admin"
    MANAGER = "Manager"
    REP = "Rep"
    VIEWER = "Viewer"


# Strongest first: a user in several groups gets the strongest role.
ROLE_ORDER = [Role.ADMIN, Role.MANAGER, Role.REP, Role.VIEWER]
# Roles that may open the Django admin (the back office).
STAFF_ROLES = {Role.ADMIN, Role.MANAGER}


def role_of(user: User) -> Role | None:
    """The user's role, read once per request object; superusers are Admins."""
    if not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_leadflow_role", False)
    if cached is not False:
        return cached
    role = role_from_groups(user, set() if user.is_superuser else set(user.groups.values_list("name", flat=True)))
    user._leadflow_role = role
    return role


def role_remember_from_prefetched_groups(user: User) -> None:
    """Read the user's role from groups already fetched (prefetch_related("groups")), so role_of asks no query."""
    user._leadflow_role = role_from_groups(user, {group.name for group in user.groups.all()})


def role_from_groups(user: User, group_names: set[str]) -> Role | None:
    """The strongest role among the user's group names; superusers are Admins."""
    if user.is_superuser:
        return Role.ADMIN
    return next((role for role in ROLE_ORDER if role.value in group_names), None)


def is_admin(user: User) -> bool:
    return role_of(user) == Role.ADMIN


def sees_all_leads(user: User) -> bool:
    return role_of(user) in {Role.ADMIN, Role.MANAGER, Role.VIEWER}


def can_write(user: User) -> bool:
    return role_of(user) in {Role.ADMIN, Role.MANAGER, Role.REP}


def can_reassign(user: User) -> bool:
    return role_of(user) in {Role.ADMIN, Role.MANAGER}


def can_edit_lead(user: User, lead: Lead) -> bool:
    return can_edit_owned_by(user, lead.owner_id)


def can_edit_owned_by(user: User, owner_id: int | None) -> bool:
    """Whether the user may change a lead with this owner (None: unassigned)."""
    role = role_of(user)
    if role in {Role.ADMIN, Role.MANAGER}:
        return True
    return role == Role.REP and owner_id == user.pk


def can_see_owned_by(user: User, owner_id: int | None) -> bool:
    """Whether the user may see a lead with this owner: crm.selectors.leads_visible_to, for one lead in hand."""
    return sees_all_leads(user) or (role_of(user) == Role.REP and owner_id in {None, user.pk})


def can_take_task_on_owned_by(user: User, owner_id: int | None) -> bool:
    """Whether a task on a lead with this owner may be given to the user: they must see the lead and be able to act."""
    return can_write(user) and can_see_owned_by(user, owner_id)


def can_manage_list(user: User, lead_list: LeadList) -> bool:
    """Whether the user may rename, archive or delete the list: its creator, managers and admins.

    Everyone who may see leads may still use any list: open it, and add or remove the leads they may change.
    """
    return can_reassign(user) or (can_write(user) and lead_list.created_by_id == user.pk)


def require_manage_list(user: User, lead_list: LeadList) -> None:
    if not can_manage_list(user, lead_list):
        owner = lead_list.created_by or "its creator"
        raise PermissionDenied(f"Only the list's owner ({owner}), managers and admins can change the list {lead_list}.")


def require_write(user: User) -> None:
    if not can_write(user):
        raise PermissionDenied("Your role is read-only.")


def require_admin(user: User) -> None:
    if not is_admin(user):
        raise PermissionDenied("Only admins can do that.")


def require_edit_lead(user: User, lead: Lead) -> None:
    if not can_edit_lead(user, lead):
        raise PermissionDenied("You can only change leads you own.")


def role_context(request: HttpRequest) -> dict:
    """Template context: what the signed-in user's role allows, for showing or hiding controls."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_role": role_of(user),
        "user_can_write": can_write(user),
        "user_can_reassign": can_reassign(user),
        "user_is_admin": is_admin(user),
        "user_sees_all_leads": sees_all_leads(user),
    }
