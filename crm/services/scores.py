"""Changing what scores read: the AI's fit opinion, verification of a lead's email and phone, the ideal-customer
profiles and the scoring settings. Each queues a rescore; nothing is scored inside the request."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_q.tasks import async_task

from crm.models import IdealCustomerProfile, Lead, Pipeline, ScoringSettings, Stage, User
from crm.rescoring import scoring_settings
from crm.services.stale import leads_mark_stale
from leadflow.audit import audit_changes, audit_snapshot, record
from leadflow.roles import can_reassign

PROFILE_LISTS = (
    "industries",
    "title_keywords",
    "seniority_keywords",
    "locations",
    "technologies",
    "exclusion_keywords",
)
PROFILE_TEXTS = ("name", "value_proposition", "offer", "proof_points")
WEIGHTS = ("weight_fit", "weight_completeness", "weight_engagement", "weight_recency")


@transaction.atomic
def lead_ai_fit_set(*, lead: Lead, fit: int | None, reason: str) -> None:
    """Record an AI's opinion of how well the lead fits (None clears it) and queue a rescore."""
    if fit is not None and not 0 <= fit <= 100:
        raise ValidationError("An AI fit opinion is between 0 and 100.")
    Lead.objects.filter(pk=lead.pk).update(ai_fit=fit, ai_fit_reason=reason.strip() if fit is not None else "")
    lead.ai_fit, lead.ai_fit_reason = fit, reason.strip() if fit is not None else ""
    leads_mark_stale([lead.pk])


@transaction.atomic
def lead_verification_set(*, lead: Lead, email: str, email_verified: bool, phone: str, phone_verified: bool) -> None:
    """Say whether the lead's current email and phone were verified; a value that is no longer the lead's own is
    ignored (it changed meanwhile). Called by enrichment after it kept what it found."""
    current = Lead.objects.select_for_update().filter(pk=lead.pk).values("email", "phone").first()
    if current is None:
        return
    changes = {}
    if email and current["email"].lower() == email.lower():
        changes["email_verified"] = email_verified
    if phone and current["phone"] == phone:
        changes["phone_verified"] = phone_verified
    if changes and Lead.objects.filter(pk=lead.pk).exclude(**changes).update(**changes):
        leads_mark_stale([lead.pk])


def _require_manager(actor: User) -> None:
    if not can_reassign(actor):
        raise PermissionDenied("Only managers and admins can change scoring.")


def rescore_all_queue() -> None:
    """Queue a rescore of every lead after the commit (the settings changed, or someone pressed Rescore all)."""
    transaction.on_commit(lambda: async_task("crm.rescoring.leads_rescore_all", group="scoring"))


def keywords_from_text(text: str) -> list[str]:
    """One per line or comma separated, blanks and repeats dropped, letter case kept as typed."""
    words = [part.strip() for line in text.splitlines() for part in line.split(",")]
    return list(dict.fromkeys(word[:100] for word in words if word))[:200]


@transaction.atomic
def profile_save(
    *, actor: User, profile: IdealCustomerProfile | None, pipeline: Pipeline | None = None, **values
) -> IdealCustomerProfile:
    """Create or change an ideal-customer profile (lists may be given as text) and queue a rescore of all."""
    _require_manager(actor)
    if profile is None and pipeline is not None:
        # Two first saves of a pipeline's profile (a double submit) take turns: the second changes what the first made.
        Pipeline.objects.select_for_update().filter(pk=pipeline.pk).exists()
        profile = IdealCustomerProfile.objects.filter(pipeline=pipeline).first()
    if profile is None:
        profile = IdealCustomerProfile(pipeline=pipeline)
    for name in PROFILE_LISTS:
        if name in values:
            value = values[name]
            setattr(profile, name, keywords_from_text(value) if isinstance(value, str) else list(value))
    for name in (*PROFILE_TEXTS, "company_size_min", "company_size_max"):
        if name in values:
            setattr(profile, name, values[name])
    low, high = profile.company_size_min, profile.company_size_max
    if low is not None and high is not None and low > high:
        raise ValidationError({"company_size_max": "The largest size is smaller than the smallest."})
    profile.full_clean()
    profile.save()
    rescore_all_queue()
    return profile


@transaction.atomic
def scoring_settings_update(
    *, actor: User, stage: Stage | None, promote_at_mql: bool, mql_threshold: int, sql_threshold: int, **weights: int
) -> ScoringSettings:
    """Change weights, thresholds and what crossing them does; a change of any of them queues a rescore of all."""
    _require_manager(actor)
    unknown = set(weights) - {*WEIGHTS, "weight_ai"}
    if unknown:
        raise ValueError(f"Unknown settings: {', '.join(sorted(unknown))}")
    errors = {}
    if stage is not None and stage.kind != Stage.Kind.OPEN:
        errors["stage"] = "A lead crossing SQL moves to an open stage, not a won or lost one."
    if not 0 <= mql_threshold <= sql_threshold <= 100:
        errors["sql_threshold"] = "Thresholds go from 0 to 100, and SQL is at least MQL."
    if any(not 0 <= value <= 100 for value in weights.values()):
        errors["weight_fit"] = "Each weight is from 0 to 100."
    elif not any(weights.get(name, 0) for name in WEIGHTS):
        errors["weight_fit"] = "At least one component needs some weight."
    if errors:
        raise ValidationError(errors)
    stored = scoring_settings()
    before = audit_snapshot(stored)  # its defaults, as scores used them, until first saved
    stored.sql_stage, stored.promote_at_mql = stage, promote_at_mql
    stored.mql_threshold, stored.sql_threshold, stored.updated_by = mql_threshold, sql_threshold, actor
    for name, value in weights.items():
        setattr(stored, name, value)
    stored.save()
    record("settings.scoring_changed", actor=actor, target=stored, changes=audit_changes(before, stored))
    rescore_all_queue()
    return stored
