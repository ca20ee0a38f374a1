"""A lead's lawful basis for processing its data (consent, legitimate interest, contract; empty: unknown), where it
came from and when it was recorded: the one writer that the lead page, file imports, ad forms and the API call, and
the withdrawal of consent, which outreach turns into an unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.lead_fields import LAWFUL_BASIS_FIELDS
from crm.models import Activity, Lead, User
from crm.services.leads import leads_editable_by
from crm.services.timeline import activities_record_each
from crm.services.versions import leads_unchanged_since
from crm.signals import lead_consent_withdrawn
from leadflow import audit
from leadflow.roles import require_edit_lead, require_write

Basis = Lead.LawfulBasis
SOURCE_LENGTH: int = Lead._meta.get_field("lawful_basis_source").max_length
# Offered beside the lead page's free-text source, and what Leadflow's own paths write.
SOURCE_SUGGESTIONS = ("Web form", "Manual", "Import file", "Meta lead form", "Google lead form", "API", "Contract")
WITHDRAWN_SOURCE = "Consent withdrawn"

# How people, files and programs write each basis, compared lower-cased with spaces for "_" and "-".
_SPELLINGS: dict[str, str] = {
    "": "",
    "unknown": "",
    "none": "",
    **dict.fromkeys(["consent", "consented", "opt in", "opted in", "optin", "yes", "y", "true", "1"], Basis.CONSENT),
    **dict.fromkeys(["legitimate interest", "legitimate interests", "li"], Basis.LEGITIMATE_INTEREST),
    **dict.fromkeys(["contract", "contractual", "contractual necessity"], Basis.CONTRACT),
}
# Cells that say "no consent": no basis, rather than a cell refused.
_NO = frozenset({"no", "n", "false", "0", "opted out", "opt out"})


def lawful_basis_parse(value: object) -> str:
    """The stored basis for what was written ("Consent", "legitimate-interest", "LI", "yes" for a consent question,
    "" or "no": unknown); anything else is a ValidationError naming the bases."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("A lawful basis is text: consent, legitimate_interest or contract.")
    key = " ".join(re.sub(r"[_\-]+", " ", value.strip().lower()).split())
    if key in _NO:
        return ""
    if key not in _SPELLINGS:
        choices = ", ".join(Basis.values)
        raise ValidationError(f"Not a lawful basis: “{value[:40]}”. Use one of {choices}, or leave it empty.")
    return _SPELLINGS[key]


def _source_clean(source: str) -> str:
    source = " ".join(str(source or "").split())
    if len(source) > SOURCE_LENGTH:
        raise ValidationError(f"Keep the source of the lawful basis under {SOURCE_LENGTH} characters.")
    return source


def _label(basis: str) -> str:
    return Basis(basis).label if basis else "unknown"


@transaction.atomic
def leads_lawful_basis_set(
    *,
    lead_ids: Iterable[int],
    basis: str,
    source: str,
    actor: User | None,
    at: datetime | None = None,
    only_unknown: bool = False,
    withdrawn: bool = False,
) -> list[int]:
    """Record `basis` (any spelling lawful_basis_parse reads) from `source` on these leads, stamped `at` (now), each
    with a timeline line saying what it was before; leads already holding it from that source are left alone, and
    with `only_unknown` every lead that holds a basis. `withdrawn` also stamps the withdrawal of consent. Callers
    check permissions (a bulk path has done so for its leads). Returns the ids changed."""
    basis, source = lawful_basis_parse(basis), _source_clean(source)
    at = at or timezone.now()
    rows = Lead.objects.select_for_update().filter(pk__in=list(lead_ids)).order_by("pk")
    changing = [
        (pk, old)
        for pk, old, old_source in rows.values_list("pk", "lawful_basis", "lawful_basis_source")
        if (withdrawn or (old, old_source) != (basis, source)) and not (only_unknown and old)
    ]
    if not changing:
        return []
    changes = {"lawful_basis": basis, "lawful_basis_source": source, "lawful_basis_at": at, "updated_at": at}
    if withdrawn:
        changes["consent_withdrawn_at"] = at
    Lead.objects.filter(pk__in=[pk for pk, _ in changing]).update(**changes)
    said = f" ({source})" if source else ""
    lines = [
        (
            Lead(pk=pk),
            f"Lawful basis: {_label(old)} → {_label(basis)}{said}" if old else f"Lawful basis: {_label(basis)}{said}",
            {"from": old, "to": basis, "source": source},
        )
        for pk, old in changing
    ]
    # Nothing a score reads changes.
    activities_record_each(actor=actor, kind=Activity.Kind.LAWFUL_BASIS, lines=lines, rescore=False)
    return [pk for pk, _ in changing]


def _refreshed(lead: Lead) -> Lead:
    lead.refresh_from_db(fields=[*LAWFUL_BASIS_FIELDS, "updated_at"])
    return lead


@transaction.atomic
def lead_lawful_basis_set(*, lead: Lead, basis: str, source: str, actor: User | None, channel: str = "web") -> Lead:
    """Record one lead's lawful basis (a person on its page, the API: `channel` for the audit log); a no-op when
    it already holds it."""
    if actor is not None:
        require_edit_lead(actor, lead)
    before = lead.lawful_basis
    if leads_lawful_basis_set(lead_ids=[lead.pk], basis=basis, source=source, actor=actor):
        lead = _refreshed(lead)
        changes = {"lawful_basis": [before, lead.lawful_basis]}
        audit.record("lead.lawful_basis_set", actor=actor, channel=channel, target=lead, changes=changes)
    return lead


@transaction.atomic
def leads_bulk_lawful_basis_set(
    *, leads: list[Lead], basis: str, source: str, actor: User, seen_at: datetime | None = None
) -> int:
    """The leads table's bulk action: record one basis on the leads the actor may change and nobody changed after
    `seen_at`; how many changed."""
    require_write(actor)
    targets = leads_unchanged_since(leads_editable_by(actor, leads), seen_at)
    changed = leads_lawful_basis_set(lead_ids=[lead.pk for lead in targets], basis=basis, source=source, actor=actor)
    return len(changed)


@transaction.atomic
def lead_consent_withdraw(*, lead: Lead, actor: User | None, via: str, channel: str = "web") -> Lead:
    """The person withdrew consent (said on the lead page, by the API): their basis becomes unknown, whatever it
    was, and they are unsubscribed exactly as an unsubscribe link does (outreach answers lead_consent_withdrawn:
    the address suppressed, every sequence stopped). Saying it again changes nothing more. `via` says where it
    was said on the timeline ("lead page", "API"), `channel` in the audit log."""
    if actor is not None:
        require_edit_lead(actor, lead)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.consent_withdrawn_at is not None and not lead.lawful_basis:
        return lead  # withdrawn already, and no basis recorded since
    at, before = timezone.now(), lead.lawful_basis
    leads_lawful_basis_set(lead_ids=[lead.pk], basis="", source=f"{WITHDRAWN_SOURCE}: {via}", actor=actor, at=at,
                           withdrawn=True)  # fmt: skip
    lead = _refreshed(lead)
    changes = {"lawful_basis": [before, ""]}
    audit.record("lead.consent_withdrawn", actor=actor, channel=channel, target=lead, changes=changes)
    lead_consent_withdrawn.send(sender=Lead, lead=lead, actor=actor, via=via, at=at)
    return lead
