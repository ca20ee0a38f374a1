"""Keeping what the waterfall found for one lead, in one transaction: every value with its source (FieldSource),
the sure ones written to the lead and its company through crm's services (normalised, duplicate-checked, on the
timeline), and the people a team page named added as new contacts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.matching import identity_linkedin_slug
from crm.models import Activity, Lead, User
from crm.normalize import NormalizeError, email_normalize, person_key
from crm.selectors import leads_visible_to, leads_with_email
from crm.services.companies import company_fill
from crm.services.leads import lead_create, lead_update
from crm.services.pipelines import pipeline_default
from crm.services.scores import lead_verification_set
from crm.services.timeline import activity_record, changes_text
from enrichment.models import EnrichmentJob, FieldSource
from enrichment.providers.base import COMPANY, Finding
from enrichment.providers.email_verify import VALID
from enrichment.waterfall import LEAD_ATTRIBUTE, Asked, WaterfallRun, finding_sure, finding_wanted_field
from leadflow.roles import can_edit_lead, can_reassign

# A phone number whose line type the numbering plan confirms as one that answers a call.
VERIFIED_LINES = {"mobile", "fixed_line", "fixed_or_mobile", "voip", "personal"}
# Extras a lead takes when it has none, whatever the job asked for.
EXTRA_ATTRIBUTES = {"time_zone": "time_zone"}
LIST_OF = {"email": "other_emails", "phone": "other_phones"}


@dataclass
class Kept:
    applied: set[str] = field(default_factory=set)
    people_added: int = 0
    outcome: str = ""


def _best(findings: list[Finding], threshold: int) -> Finding | None:
    sure = [finding for finding in findings if finding_sure(finding, threshold)]
    return max(sure, key=lambda finding: finding.confidence, default=None)


def _by_field(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.field, []).append(finding)
    return grouped


def _taken_by(actor: User, lead: Lead, attribute: str, value: str) -> Lead | None:
    """Another lead the actor may see that already has this address or LinkedIn profile: the import's identity keys,
    which a second lead must not take (it would be a duplicate of the first)."""
    if attribute == "email":
        return next((other for other in leads_with_email(actor, value) if other.pk != lead.pk), None)
    if attribute == "linkedin_url":
        slug = identity_linkedin_slug(value)
        return leads_visible_to(actor).filter(linkedin_slug=slug).exclude(pk=lead.pk).first() if slug else None
    return None


def _lead_changes(lead: Lead, actor: User, chosen: dict[str, Finding], run: WaterfallRun) -> dict:
    """What the chosen values change on the lead: an empty field takes its value (any field with overwrite); a
    different sure email or phone of a lead that has one joins its others, so nothing found is lost."""
    changes: dict = {}
    for name, finding in chosen.items():
        attribute = LEAD_ATTRIBUTE.get(finding_wanted_field(finding)) or EXTRA_ATTRIBUTES.get(name)
        if attribute is None:
            continue
        current = getattr(lead, attribute)
        taken = _taken_by(actor, lead, attribute, finding.value)
        if taken is not None:
            finding.detail = {**finding.detail, "duplicate_of": taken.pk}
            continue
        if not current or (run.overwrite and attribute in LEAD_ATTRIBUTE.values()):
            changes[attribute] = finding.value
        elif attribute in LIST_OF and finding.value.lower() != current.lower():
            others = list(getattr(lead, LIST_OF[attribute]))
            if finding.value.lower() not in (other.lower() for other in others):
                changes[LIST_OF[attribute]] = [*others, finding.value]
    return changes


def _people_add(lead: Lead, actor: User, people: list[Finding], job: EnrichmentJob | None) -> int:
    """New contacts for the people a company's team page named, unless the company already has them."""
    if not lead.company_id:
        return 0
    stage = pipeline_default().stages.first()
    added = 0
    for person in people:
        first, last = person.detail.get("first_name", ""), person.detail.get("last_name", "")
        if not (first and last):
            continue
        if Lead.objects.filter(company_id=lead.company_id, name_key=person_key(first, last)).exists():
            continue
        email = person.detail.get("email", "")
        try:
            email = email_normalize(email) if email else ""
        except NormalizeError:
            email = ""
        if email and leads_with_email(actor, email):
            continue
        owner = {"owner": lead.owner} if can_reassign(actor) else {}
        try:
            contact = lead_create(
                actor=actor,
                stage=stage,
                company=lead.company,
                first_name=first,
                last_name=last,
                title=person.detail.get("title", "")[:200],
                email=email,
                linkedin_url=person.detail.get("linkedin_url", ""),
                source=person.source,
                **owner,
            )
        except ValidationError:
            continue  # a value a team page got wrong: that person is left out, the others go on
        FieldSource.objects.create(
            lead=contact,
            field="person",
            value=person.value[:500],
            source=person.source,
            confidence=person.confidence,
            detail=person.detail,
            applied=True,
            answer=person.answer,
            job=job,
        )
        added += 1
    return added


@transaction.atomic
def lead_keep(*, lead_id: int, actor: User, asked: Asked, run: WaterfallRun, job: EnrichmentJob | None) -> Kept:
    """Store what was found for one lead; the lead is re-read under a lock, so a change made meanwhile is kept."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("company").filter(pk=lead_id).first()
    if lead is None:
        return Kept(outcome="the lead was deleted or merged meanwhile")
    if not can_edit_lead(actor, lead):
        return Kept(outcome="not yours to change")
    people = [finding for finding in asked.findings if finding.field == "person"]
    values = [finding for finding in asked.findings if finding.field != "person"]
    grouped = _by_field(values)
    chosen = {}
    for name, findings in grouped.items():
        wanted = finding_wanted_field(findings[0])
        best = _best(findings, run.thresholds.get(wanted, 0) if wanted else 0)
        if best is not None and (not wanted or wanted in run.fields):
            chosen[name] = best
    kept = Kept()
    changes = _lead_changes(lead, actor, chosen, run)
    try:
        lead_update(lead=lead, actor=actor, activity_kind=Activity.Kind.ENRICHED, **changes)
    except ValidationError as exc:
        kept.outcome = f"not stored: {'; '.join(exc.messages)}"
        changes = {}
        lead.refresh_from_db()  # lead_update set the refused values on this object before checking them
    company_values = {
        name.removeprefix("company."): finding.value for name, finding in chosen.items() if name.startswith("company.")
    }
    company_changed = (
        company_fill(company=lead.company, values=company_values, overwrite=run.overwrite)
        if lead.company_id and company_values and COMPANY in run.fields
        else {}
    )
    if company_changed:
        kept.applied.add(COMPANY)
        summary = f"Enriched {lead.company}: {changes_text(company_changed)}"
        activity_record(lead=lead, actor=actor, kind=Activity.Kind.ENRICHED, summary=summary, data=company_changed)
    for name in changes:
        kept.applied.add(name)
    current = {
        name: str(getattr(lead, name)).lower() for name in ("email", "phone", "linkedin_url", "time_zone", "title")
    }
    FieldSource.objects.bulk_create(
        FieldSource(
            lead=lead,
            field=finding.field,
            value=finding.value[:500],
            source=finding.source,
            confidence=finding.confidence,
            status=finding.status,
            detail=finding.detail,
            applied=current.get(finding.field) == finding.value.lower()
            or (finding.field.startswith("company.") and finding.field.removeprefix("company.") in company_changed),
            answer=finding.answer,
            job=job,
        )
        for finding in values
    )
    _verification_keep(lead, values)
    if COMPANY in run.fields:
        kept.people_added = _people_add(lead, actor, people, job)
    return kept


def _verification_keep(lead: Lead, values: list[Finding]) -> None:
    """Tell crm whether the lead's own email and phone were verified (its score's completeness reads it): by the
    last verdict a source gave on them (in the order they were asked); a source with none (a website naming the
    address) leaves the verification as it was."""
    statuses = {(finding.field, finding.value.lower()): finding.status for finding in values if finding.status}
    email_status = statuses.get(("email", lead.email.lower())) if lead.email else None
    phone_status = statuses.get(("phone", lead.phone.lower())) if lead.phone else None
    if email_status is None and phone_status is None:
        return
    lead_verification_set(
        lead=lead,
        email=lead.email if email_status is not None else "",
        email_verified=email_status == VALID,
        phone=lead.phone if phone_status is not None else "",
        phone_verified=phone_status in VERIFIED_LINES,
    )
