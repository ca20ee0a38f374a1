"""Campaigns as YAML: exported to keep or move them, loaded (created or updated by name) from a file."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.models import LeadList, User
from crm.services.lists import list_create
from leadflow.roles import Role, require_write, role_of
from scraping.models import Campaign, Source
from scraping.runs import campaign_next_run_set
from scraping.timing import schedule_clean

# Keys of a campaign entry that are the campaign's own settings; every other key says what to fetch (`target`).
OWN_KEYS = {
    "name",
    "source",
    "list",
    "owner",
    "round_robin",
    "tag",
    "enter_as",
    "schedule",
    "paused",
    "promote_at_score",
}


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def _source(value: object) -> Source:
    """A source by its name, else the first of that kind ("phantombuster"), made when there is none yet."""
    text = str(value or "").strip()
    found = Source.objects.filter(name=text).first() or Source.objects.filter(kind=text).order_by("pk").first()
    if found is not None:
        return found
    if text not in Source.Kind.values:
        raise ValidationError(f"Unknown source {text!r}: name a source or a kind ({', '.join(Source.Kind.values)}).")
    return Source.objects.create(kind=text, name=Source.Kind(text).label)


def _user(email: object, what: str) -> User:
    user = User.objects.filter(email__iexact=str(email).strip(), is_active=True).first()
    if user is None:
        raise ValidationError(f"{what}: there is no active user {email!r}.")
    return user


def _lead_list(name: object, actor: User) -> LeadList:
    text = str(name).strip()
    return LeadList.objects.filter(name=text, archived=False).first() or list_create(actor=actor, name=text)


def _entry_apply(entry: dict, actor: User) -> tuple[Campaign, bool]:
    name = str(entry.get("name", "")).strip()
    if not name:
        raise ValidationError("Every campaign needs a name.")
    unknown_enter = entry.get("enter_as", "contact") not in Campaign.EnterAs.values
    if unknown_enter:
        raise ValidationError(f"{name}: enter_as is contact or lead.")
    values = {
        "source": _source(entry.get("source")),
        "target": {key: value for key, value in entry.items() if key not in OWN_KEYS},
        "lead_list": _lead_list(entry["list"], actor) if entry.get("list") else None,
        "owner": _user(entry["owner"], f"{name}: owner") if entry.get("owner") else None,
        "source_tag": str(entry.get("tag", ""))[:60],
        "enter_as": entry.get("enter_as", "contact"),
        "schedule": schedule_clean(entry.get("schedule", "manual")),
        "paused": bool(entry.get("paused", False)),
        "promote_at_score": int(entry.get("promote_at_score", 0) or 0),
    }
    campaign, created = Campaign.objects.update_or_create(
        name=name, defaults=values, create_defaults={**values, "created_by": actor}
    )
    reps = [_user(email, f"{name}: round_robin") for email in entry.get("round_robin") or []]
    campaign.round_robin.set(reps)
    campaign_next_run_set(campaign)
    return campaign, created


@transaction.atomic
def campaigns_load(text: str, *, actor: User) -> LoadReport:
    """Create or update (by name) every campaign of a YAML list; all or nothing, with the entry that is wrong named."""
    require_write(actor)
    if role_of(actor) not in {Role.ADMIN, Role.MANAGER}:
        raise ValidationError("Only managers and admins set up campaigns.")
    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"This is not valid YAML: {exc}") from exc
    if entries is None:
        entries = []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValidationError("The file must be a list of campaigns (each starting with '- name: ...').")
    report = LoadReport()
    for number, entry in enumerate(entries, start=1):
        try:
            campaign, created = _entry_apply(entry, actor)
        except (ValidationError, ValueError, TypeError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise ValidationError(f"Campaign {number}: {'; '.join(messages)}") from exc
        (report.created if created else report.updated).append(campaign.name)
    return report


def campaigns_export(campaigns) -> str:
    """The campaigns as a YAML list that campaigns_load reads back."""
    entries = []
    for campaign in campaigns.select_related("source", "lead_list", "owner").prefetch_related("round_robin"):
        entry = {"name": campaign.name, "source": campaign.source.name, **campaign.target}
        if campaign.lead_list:
            entry["list"] = campaign.lead_list.name
        if campaign.owner:
            entry["owner"] = campaign.owner.email
        reps = [user.email for user in campaign.round_robin.all()]
        if reps:
            entry["round_robin"] = reps
        if campaign.source_tag:
            entry["tag"] = campaign.source_tag
        entry |= {"enter_as": campaign.enter_as, "schedule": campaign.schedule}
        if campaign.paused:
            entry["paused"] = True
        if campaign.promote_at_score:
            entry["promote_at_score"] = campaign.promote_at_score
        entries.append(entry)
    return yaml.safe_dump(entries, sort_keys=False, allow_unicode=True)
