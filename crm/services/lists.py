"""Lead lists: creating, renaming, archiving, and adding or removing members (rights: leadflow.roles)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.models import Activity, Lead, LeadList, ListMembership, User
from crm.services.timeline import activities_record_bulk, tags_from_text
from leadflow.roles import can_edit_lead, require_manage_list, require_write


@transaction.atomic
def list_create(*, actor: User, name: str, description: str = "", folder: str = "", tags: str = "") -> LeadList:
    require_write(actor)
    lead_list = LeadList(name=name.strip(), description=description, folder=folder.strip(), created_by=actor)
    _name_free(lead_list)
    lead_list.full_clean()
    lead_list.save()
    if tags:
        lead_list.tags.set(tags_from_text(tags))
    return lead_list


@transaction.atomic
def list_update(
    *, lead_list: LeadList, actor: User, name: str, description: str = "", folder: str = "", tags: str = ""
) -> LeadList:
    require_manage_list(actor, lead_list)
    lead_list.name = name.strip()
    lead_list.description = description
    lead_list.folder = folder.strip()
    _name_free(lead_list)
    lead_list.full_clean()
    lead_list.save()
    lead_list.tags.set(tags_from_text(tags))
    return lead_list


def _name_free(lead_list: LeadList) -> None:
    """Two lists with one name (in any case) could not be told apart in a menu: the second is refused."""
    if LeadList.objects.filter(name__iexact=lead_list.name).exclude(pk=lead_list.pk).exists():
        raise ValidationError({"name": f"There is already a list called {lead_list.name}; choose another name."})


def list_set_archived(*, lead_list: LeadList, actor: User, archived: bool) -> LeadList:
    require_manage_list(actor, lead_list)
    lead_list.archived = archived
    lead_list.save(update_fields=["archived"])
    return lead_list


@transaction.atomic
def list_add_leads(*, lead_list: LeadList, leads: list[Lead], actor: User) -> int:
    """Add the leads the actor may change to a list (ones already in it are left alone); returns how many were added."""
    require_write(actor)
    leads = [lead for lead in leads if can_edit_lead(actor, lead)]
    present = set(lead_list.memberships.filter(lead__in=leads).values_list("lead_id", flat=True))
    new = [lead for lead in leads if lead.pk not in present]
    ListMembership.objects.bulk_create(
        [ListMembership(lead_list=lead_list, lead=lead, added_by=actor) for lead in new], ignore_conflicts=True
    )
    activities_record_bulk(
        leads=new,
        actor=actor,
        kind=Activity.Kind.LIST,
        summary=f"Added to list {lead_list.name}",
        data={"list": lead_list.pk, "added": True},
    )
    return len(new)


@transaction.atomic
def list_remove_leads(*, lead_list: LeadList, leads: list[Lead], actor: User) -> int:
    """Take the leads the actor may change out of a list; returns how many were removed."""
    require_write(actor)
    leads = [lead for lead in leads if can_edit_lead(actor, lead)]
    memberships = lead_list.memberships.filter(lead__in=leads)
    removed_ids = set(memberships.values_list("lead_id", flat=True))
    memberships.delete()
    activities_record_bulk(
        leads=[lead for lead in leads if lead.pk in removed_ids],
        actor=actor,
        kind=Activity.Kind.LIST,
        summary=f"Removed from list {lead_list.name}",
        data={"list": lead_list.pk, "added": False},
    )
    return len(removed_ids)
