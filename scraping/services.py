"""Setting up capture: sources and campaigns are created and changed by managers and admins only."""

from __future__ import annotations

import json

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from crm.models import User
from leadflow.audit import audit_changes, audit_stored, record
from leadflow.roles import can_reassign
from scraping.models import Campaign, Source
from scraping.runs import campaign_next_run_set
from scraping.timing import schedule_clean

SECRET_NAMES = ("api_key", "token", "crm_key", "app_secret", "verify_token", "page_access_token", "webhook_key")


def require_capture_admin(actor: User) -> None:
    if not can_reassign(actor):
        raise PermissionDenied("Only managers and admins set up sources and campaigns.")


@transaction.atomic
def source_save(*, actor: User, source: Source, secrets: dict[str, str]) -> Source:
    """Save a source; each secret typed replaces the stored one, a blank one keeps it."""
    require_capture_admin(actor)
    try:
        stored = json.loads(source.credentials or "{}")
    except ValueError:
        stored = {}
    stored.update({name: value.strip() for name, value in secrets.items() if name in SECRET_NAMES and value.strip()})
    source.credentials = json.dumps(stored) if stored else ""
    source.full_clean()
    before = audit_stored(source)
    source.save()
    record("capture_source.saved", actor=actor, target=source, changes=audit_changes(before, source))
    return source


def target_from_yaml(text: str) -> dict:
    """What a campaign fetches, as typed on its page (YAML or JSON mapping)."""
    try:
        target = yaml.safe_load(text or "{}") or {}
    except yaml.YAMLError as exc:
        raise ValidationError(f"Not valid YAML: {exc}") from exc
    if not isinstance(target, dict):
        raise ValidationError("Write what to fetch as key: value lines (agent, actor, start_urls, …).")
    return target


@transaction.atomic
def campaign_save(*, actor: User, campaign: Campaign, round_robin: list[User] | None = None) -> Campaign:
    require_capture_admin(actor)
    campaign.schedule = schedule_clean(campaign.schedule)
    if campaign.created_by_id is None:
        campaign.created_by = actor
    campaign.full_clean()
    campaign.save()
    if round_robin is not None:
        campaign.round_robin.set(round_robin)
    campaign_next_run_set(campaign)
    return campaign


@transaction.atomic
def campaign_pause(*, actor: User, campaign: Campaign, paused: bool) -> Campaign:
    require_capture_admin(actor)
    Campaign.objects.filter(pk=campaign.pk).update(paused=paused)
    campaign.paused = paused
    return campaign
