"""Saving a CRM connection: its credentials (encrypted by the model's fields) and a mapping checked against the
fields the CRM account really has."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.models import CrmConnection, User
from crm.sync.base import SyncError
from crm.sync.clients import client_class, client_for, credentials_for, credentials_missing
from crm.sync.fields import SYNC_FIELDS
from leadflow.audit import audit_changes, audit_stored, record
from leadflow.roles import can_reassign


def mapping_default(connection: CrmConnection) -> tuple[dict[str, str], list[str]]:
    """The client's default mapping narrowed to the fields the account has, and the CRM fields left out."""
    default = dict(client_class(connection.kind).default_mapping)
    available = client_for(connection).field_names()
    kept = {lead_field: crm_field for lead_field, crm_field in default.items() if crm_field in available}
    return kept, sorted(crm_field for crm_field in default.values() if crm_field not in available)


def mapping_check(connection: CrmConnection, mapping: dict[str, str]) -> dict[str, str]:
    """The mapping, cleaned; refused (ValidationError) if it names a Leadflow field that cannot sync, a CRM field
    the account does not have, or one CRM field twice."""
    cleaned = {str(lf).strip(): str(crm).strip() for lf, crm in mapping.items() if str(crm).strip()}
    errors = [f"Leadflow has no field {lf!r} to sync." for lf in cleaned if lf not in SYNC_FIELDS]
    try:
        available = client_for(connection).field_names()
    except SyncError as exc:
        raise ValidationError(f"The mapping could not be checked: {exc}") from exc
    errors += [
        f"{connection.get_kind_display()} has no field {crm!r} (for {lf})."
        for lf, crm in cleaned.items()
        if crm not in available
    ]
    repeated = sorted({crm for crm in cleaned.values() if list(cleaned.values()).count(crm) > 1})
    errors += [f"{crm!r} is mapped twice." for crm in repeated]
    if "email" not in cleaned:
        errors.append("Map the email: it is how people are matched between the two CRMs.")
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def connection_save(*, connection: CrmConnection, actor: User, mapping: dict[str, str] | None = None) -> CrmConnection:
    """Save a connection (admins and managers); `mapping` None: the default one the account allows."""
    if not can_reassign(actor):
        raise ValidationError("Only admins and managers can connect a CRM.")
    if connection.acting_user_id is None:
        connection.acting_user = actor
    missing = credentials_missing(connection.kind, credentials_for(connection))
    if missing:
        raise ValidationError(sorted(set(missing.values())))
    if mapping is None and not connection.mapping:
        try:
            mapping, _ = mapping_default(connection)
        except SyncError as exc:
            raise ValidationError(f"{connection.get_kind_display()} could not be reached: {exc}") from exc
    if mapping is not None:
        connection.mapping = mapping_check(connection, mapping)
    connection.full_clean()
    before = audit_stored(connection)
    connection.save()
    record("crm_connection.saved", actor=actor, target=connection, changes=audit_changes(before, connection))
    return connection
