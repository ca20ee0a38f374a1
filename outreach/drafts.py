"""Draft services: write one, edit it (a stale edit is refused), approve it (only once every check passes) or reject
it. Each writes the lead's timeline; drafts are seen by whoever may see the lead and changed by whoever may edit it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.models import Activity, Lead, User
from crm.selectors import leads_visible_to
from crm.services.timeline import activity_record
from leadflow.roles import require_edit_lead
from outreach.draft_checks import draft_findings, findings_stored
from outreach.grounding import lead_grounding
from outreach.models import Channel, Draft, DraftJob, Length, Tone
from outreach.writer import Written, message_write


class StaleDraft(ValidationError):
    """The draft changed after this edit started."""


class DraftNotReady(ValidationError):
    """A check still finds something in the draft."""


def drafts_visible_to(user: User) -> QuerySet[Draft]:
    return Draft.objects.filter(lead__in=leads_visible_to(user)).select_related("lead", "created_by", "decided_by")


def choices_check(channel: str, tone: str, length: str) -> None:
    if channel not in Channel.values or tone not in Tone.values or length not in Length.values:
        raise ValidationError("Choose a channel, a tone and a length from the lists.")


def _findings(draft: Draft, *, sender: User | None) -> list[dict]:
    """The checks run on the draft as it stands, against what its writer may use: the lead's facts as they are now."""
    grounding = lead_grounding(draft.lead, sender=sender)
    found = draft_findings(channel=draft.channel, subject=draft.subject, body=draft.body, inputs=grounding.inputs())
    return findings_stored(found)


@dataclass(frozen=True)
class Composed:
    """A message written for a lead, with what the checks found in it, not saved yet."""

    lead: Lead
    channel: str
    tone: str
    length: str
    written: Written
    findings: list[dict]


def draft_compose(
    *, lead: Lead, actor: User, channel: str, tone: str, length: str, interactive: bool = False
) -> Composed:
    """Write a message for the lead and check it, outside any transaction (an AI answer may take seconds).
    Raises WriterFailed when the AI gave no usable answer."""
    require_edit_lead(actor, lead)
    choices_check(channel, tone, length)
    grounding = lead_grounding(lead, sender=actor)
    written = message_write(grounding, channel=channel, tone=tone, length=length, seed=lead.pk, interactive=interactive)
    found = draft_findings(channel=channel, subject=written.subject, body=written.body, inputs=grounding.inputs())
    return Composed(lead, channel, tone, length, written, findings_stored(found))


@transaction.atomic
def draft_save(*, composed: Composed, actor: User, job: DraftJob | None = None) -> Draft:
    """Keep a composed message as a draft, on the lead's timeline."""
    written = composed.written
    draft = Draft.objects.create(
        lead=composed.lead, channel=composed.channel, tone=composed.tone, length=composed.length,
        subject=written.subject[:300], body=written.body, source=written.source, note=written.note[:500],
        findings=composed.findings, job=job, created_by=actor,
    )  # fmt: skip
    writer = "the AI" if written.source == Draft.Source.AI else "the built-in writer"
    activity_record(
        lead=composed.lead, actor=actor, kind=Activity.Kind.UPDATED, summary=f"{draft.get_channel_display()} draft "
        f"written by {writer}", data={"draft": draft.pk},
    )  # fmt: skip
    return draft


def draft_generate(
    *, lead: Lead, actor: User, channel: str, tone: str, length: str, interactive: bool = False
) -> Draft:
    """Write, check and keep a draft for one lead. Raises WriterFailed when the AI gave no usable answer."""
    composed = draft_compose(lead=lead, actor=actor, channel=channel, tone=tone, length=length, interactive=interactive)
    return draft_save(composed=composed, actor=actor)


def _locked(draft: Draft, actor: User, version: int | None) -> Draft:
    locked = Draft.objects.select_for_update(of=("self",)).select_related("lead__company").get(pk=draft.pk)
    require_edit_lead(actor, locked.lead)
    if version is not None and locked.version != version:
        raise StaleDraft("Someone changed this draft after you opened it; reload it to see their version.")
    return locked


@transaction.atomic
def draft_edit(*, draft: Draft, actor: User, subject: str, body: str, version: int | None) -> Draft:
    """Save an edit made from `version`; an approved or rejected draft goes back to draft, to be approved again.
    The timeline says so: an approval withdrawn by an edit must not pass unseen."""
    draft = _locked(draft, actor, version)
    was = draft.get_status_display().lower() if draft.status != Draft.Status.DRAFT else ""
    draft.subject, draft.body = subject.strip()[:300], body.strip()
    draft.status, draft.decided_by, draft.decided_at = Draft.Status.DRAFT, None, None
    draft.findings = _findings(draft, sender=draft.created_by or actor)
    draft.version += 1
    draft.save()
    summary = f"{draft.get_channel_display()} draft edited" + (f" (was {was}: back to draft)" if was else "")
    activity_record(lead=draft.lead, actor=actor, kind=Activity.Kind.UPDATED, summary=summary, data={"draft": draft.pk})
    return draft


def draft_approve(*, draft: Draft, actor: User, version: int | None) -> Draft:
    """Approve the draft as `version` showed it, if every check passes on its text now; otherwise raise
    DraftNotReady, with what the checks found kept on the draft (the lead's facts may have changed since)."""
    draft = _approve_if_clear(draft, actor, version)
    if draft.findings:
        raise DraftNotReady(
            "Fix what the checks found before approving: " + " ".join(f["message"] for f in draft.findings)
        )
    return draft


@transaction.atomic
def _approve_if_clear(draft: Draft, actor: User, version: int | None) -> Draft:
    draft = _locked(draft, actor, version)
    draft.findings = _findings(draft, sender=draft.created_by or actor)
    if draft.findings:
        Draft.objects.filter(pk=draft.pk).update(findings=draft.findings)
        return draft
    return _decide(draft, actor, Draft.Status.APPROVED)


@transaction.atomic
def draft_reject(*, draft: Draft, actor: User, version: int | None) -> Draft:
    return _decide(_locked(draft, actor, version), actor, Draft.Status.REJECTED)


def _decide(draft: Draft, actor: User, status: str) -> Draft:
    draft.status, draft.decided_by, draft.decided_at = status, actor, timezone.now()
    draft.version += 1
    draft.save()
    activity_record(
        lead=draft.lead, actor=actor, kind=Activity.Kind.UPDATED,
        summary=f"{draft.get_channel_display()} draft {draft.get_status_display().lower()}", data={"draft": draft.pk},
    )  # fmt: skip
    return draft
