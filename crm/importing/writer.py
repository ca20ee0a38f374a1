"""Writing one batch of lead drafts: companies resolved, duplicates matched in the file and in the database,
new leads created and existing ones skipped, filled or overwritten, all with a few bulk queries. Planned first
(reads and decisions), then saved (writes only, but for a last check that nobody changed a lead meanwhile).

An import changes only what the person who started it may change (leadflow.roles): a row matching a lead they
may not change is imported as nothing and reported as someone else's, without saying whose."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from crm.companies import companies_oldest_by, company_pick
from crm.importing.candidates import Known, LeadIndex, Match, NewLead, database_index
from crm.importing.drafts import LeadDraft
from crm.importing.records import Skip, changes_save, conflicts_save, extras_save, problem_rows
from crm.importing.tables import TableRows, ids_new, leads_update
from crm.lead_fields import lead_facts_importable
from crm.matching import lead_keys_refresh
from crm.models import Company, ImportJob, Lead, Stage
from crm.privacy.suppression import SUPPRESSED, Identity, people_suppressed
from crm.services.consent import SOURCE_LENGTH, leads_lawful_basis_set
from leadflow.roles import can_edit_owned_by, can_see_owned_by

# The lead fields an import may fill or overwrite on an existing lead (never stage, owner, score or source).
UPDATABLE = lead_facts_importable()
KEY_FIELDS = ["email_key", "linkedin_slug", "name_key"]
# Lists of further values, each with the field whose values it keeps when they are not the main one.
OTHER_VALUES = {"other_emails": "email", "other_phones": "phone"}
# The mark scoring reads of whether the lead's main email and phone were verified (crm.services.scores).
VERIFIED = {"email": "email_verified", "phone": "phone_verified"}
SOMEONE_ELSES = "Matches a lead you cannot change (it belongs to someone else); nothing imported"


@dataclass
class BatchResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0


def _companies_resolve(
    drafts: list[LeadDraft], in_flight: BatchPlan | None
) -> tuple[list[int | None], list[dict[str, object]]]:
    """The company of each draft by the one company rule (crm.companies): found by domain, else by cleaned name
    (in the database or among the companies of the batch being written), else new (once per batch); and the new
    companies' rows, ids taken."""
    # The oldest company with each domain and each name key, in the database or among the batch in flight's new ones.
    by_domain, by_key = companies_oldest_by((d.company_domain for d in drafts), (d.company_key for d in drafts))
    for company in in_flight.companies if in_flight else []:
        for found, value in ((by_domain, company["domain"]), (by_key, company["name_key"])):
            if value:  # a company without a domain (or name key) is no match for every draft without one
                found[value] = min(found.get(value, company["pk"]), company["pk"])
    to_create: dict[str, dict[str, object]] = {}
    resolved: list[int | dict[str, object] | None] = []
    for draft in drafts:
        pk = company_pick(by_domain, by_key, domain=draft.company_domain, key=draft.company_key)
        if pk or not draft.company_name:
            resolved.append(pk)
            continue
        identity = draft.company_domain or draft.company_key
        company = to_create.get(identity)
        if company is None:
            company = to_create[identity] = {
                "name": draft.company_name,
                "domain": draft.company_domain,
                "name_key": draft.company_key,
                "website": f"https://{draft.company_domain}" if draft.company_domain else "",
            }
        resolved.append(company)
    for company, pk in zip(to_create.values(), ids_new(Company, len(to_create)), strict=True):
        company["pk"] = pk
    return [item["pk"] if isinstance(item, dict) else item for item in resolved], list(to_create.values())


def _apply(known: Known, draft: LeadDraft, company_id: int | None, overwrite: bool) -> bool:
    """Copy the draft's values onto a lead: into empty fields only, or over what is there; True if anything changed.
    An email or phone that does not become the main one (or that an overwrite replaces) joins the lead's others."""
    lead = known.lead
    before = {name: list(pair) for name, pair in known.changes.items()}
    incoming = {**draft.fields, "company_id": company_id}
    others = {name: list(getattr(lead, name, None) or []) for name in OTHER_VALUES}
    for name in OTHER_VALUES:
        others[name].extend(incoming.get(name) or [])
    for name in UPDATABLE:
        value = incoming.get(name)
        current = getattr(lead, name, None)  # a new lead holds only the fields its row gave
        if value in (None, "") or current == value:
            continue
        if current not in (None, "") and not overwrite:
            _keep_other(others, name, value)
            continue
        if current not in (None, ""):
            _keep_other(others, name, current)
        _change(known, name, current, value)
    for name in VERIFIED:
        # A new main address or number is not the one that was verified (undo gives the mark back with the value).
        if name in known.changes and getattr(lead, VERIFIED[name], False):
            _change(known, VERIFIED[name], True, False)
    for name, values in others.items():
        main = getattr(lead, OTHER_VALUES[name], "")
        kept = list(dict.fromkeys(value for value in values if value and value != main))
        if kept != list(getattr(lead, name, None) or []):
            _change(known, name, list(getattr(lead, name, None) or []), kept)
    custom = dict(lead.custom_fields)
    for key, value in draft.custom.items():
        if key not in custom or (overwrite and custom[key] != value):
            custom[key] = value
    if custom != lead.custom_fields:
        _change(known, "custom_fields", lead.custom_fields, custom)
    return known.changes != before


def _draft_identity(draft: LeadDraft) -> Identity:
    fields = draft.fields
    emails = [str(fields.get("email", "")), *map(str, fields.get("other_emails", []))]
    # A refused row's address may not have reached its fields: the cells that hold one count too.
    emails += [cell for cell in draft.values if "@" in cell]
    return Identity(emails, [str(fields.get("phone", "")), *map(str, fields.get("other_phones", []))])


def _suppressed_apart(drafts: list[LeadDraft]) -> tuple[list[LeadDraft], list[Skip]]:
    """The rows of people erased at their request (crm.privacy) are skipped and reported by their line alone:
    nothing of theirs is stored again, not even in the report."""
    found = people_suppressed([_draft_identity(draft) for draft in drafts])
    if not found:
        return drafts, []
    kept = [draft for position, draft in enumerate(drafts) if position not in found]
    return kept, [Skip(replace(drafts[position], values=[]), SUPPRESSED) for position in sorted(found)]


def _keep_other(others: dict[str, list], name: str, value: object) -> None:
    for other, main in OTHER_VALUES.items():
        if main == name:
            others[other].append(value)


def _change(known: Known, name: str, before: object, after: object) -> None:
    known.changes.setdefault(name, [_json(before), None])[1] = _json(after)
    setattr(known.lead, name, after)


def _json(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


@dataclass
class BatchPlan:
    """A batch matched and ready to write: BatchWriter.plan works it out, BatchWriter.save writes it. The next
    batch may be planned while this one is written, so it also tells that plan what this batch will change."""

    result: BatchResult
    companies: list[dict[str, object]]  # new companies' values, "pk" included, for the next plan to find
    company_rows: TableRows
    leads: TableRows
    drafts: list[LeadDraft]
    skips: list[Skip]
    changed: list[Known]  # existing leads the batch changes, as it leaves them
    versions: dict[int, datetime]  # when each of those was last changed, as the plan read it
    extras: list[tuple[Known, list[LeadDraft]]]  # each lead with the rows whose tags, note, list place it gets
    created: list[NewLead]
    conflicts: list[tuple[NewLead, Known, str]] = field(default_factory=list)

    def leads_in_flight(self) -> dict[int, Lead | NewLead]:
        """The leads this batch creates or changes, by pk, as it leaves them."""
        return {lead.pk: lead for lead in [*self.created, *(known.lead for known in self.changed)]}


class BatchWriter:
    """Plans and writes batches for one import job; holds what stays the same from batch to batch.

    plan() reads and decides; save() writes. On PostgreSQL the next batch is planned on a second connection
    while this one is written (crm.importing.jobs), so plan() is told of the batch in flight: its new companies
    and leads, and the leads it changes, which the database will show only once it commits.
    """

    def __init__(self, job: ImportJob, stage: Stage) -> None:
        self.job = job
        self.stage = stage
        self.overwrite = job.on_duplicate == ImportJob.OnDuplicate.OVERWRITE
        self.skip = job.on_duplicate == ImportJob.OnDuplicate.SKIP
        self.actor = job.created_by

    def may_change(self, owner_id: int | None) -> bool:
        return self.actor is None or can_edit_owned_by(self.actor, owner_id)

    def may_see(self, owner_id: int | None) -> bool:
        return self.actor is None or can_see_owned_by(self.actor, owner_id)

    def plan(self, drafts: list[LeadDraft], in_flight: BatchPlan | None = None) -> BatchPlan:
        result = BatchResult()
        drafts, skips = _suppressed_apart(drafts)
        result.skipped += len(skips)
        usable = [d for d in drafts if not d.rejected]
        company_ids, companies = _companies_resolve(usable, in_flight)
        leads_in_flight = in_flight.leads_in_flight() if in_flight else {}
        existing = database_index(usable, company_ids, leads_in_flight)
        pending = LeadIndex()
        created: list[tuple[NewLead, LeadDraft]] = []
        matched: dict[int, list[tuple[LeadDraft, int | None, str]]] = defaultdict(list)
        conflicts: list[tuple[NewLead, Known, str]] = []
        extras: list[tuple[Known, list[LeadDraft]]] = []
        for draft, company_id in zip(usable, company_ids, strict=True):
            found = pending.match(draft, company_id)
            if found.known is None:
                elsewhere = existing.match(draft, company_id)
                found = Match(
                    elsewhere.known,
                    elsewhere.how,
                    found.conflict or elsewhere.conflict,
                    found.conflict_reason or elsewhere.conflict_reason,
                )
            known = found.known
            if known is None:
                lead = self._lead_new(draft, company_id)
                known = Known(lead=lead, new=True, line=draft.line)
                pending.add(known)
                created.append((lead, draft))
                extras.append((known, [draft]))
                result.imported += 1
                if found.conflict:
                    conflicts.append((lead, found.conflict, found.conflict_reason))
            elif known.new:
                # A second row for someone earlier in this file: merged into the lead about to be created.
                if not self.skip and _apply(known, draft, company_id, self.overwrite):
                    result.updated += 1
                    extras.append((known, [draft]))
                else:
                    result.skipped += 1
                    reason = f"Same person as line {known.line} (same {found.how}); nothing new"
                    skips.append(Skip(draft, reason, known))
            else:
                matched[known.lead.pk].append((draft, company_id, found.how))
        for (lead, _), pk in zip(created, ids_new(Lead, len(created)), strict=True):
            lead.pk = pk
        now = timezone.now()
        changed, versions = self._apply_to_existing(matched, leads_in_flight, result, skips, extras)
        for known in changed:
            lead_keys_refresh(known.lead)
            known.lead.updated_at = now
        for lead, _ in created:
            lead.updated_at = now  # as the lead row has it: a later batch that changes it compares with this
        result.rejected = sum(1 for draft in drafts if draft.rejected)
        return BatchPlan(
            result=result,
            companies=companies,
            company_rows=TableRows.of(Company, companies),
            leads=self._lead_rows(created, now),
            drafts=drafts,
            skips=skips,
            changed=changed,
            versions=versions,
            extras=extras,
            created=[lead for lead, _ in created],
            conflicts=conflicts,
        )

    def save(self, plan: BatchPlan) -> BatchResult:
        """Write a planned batch. A lead someone changed after the plan read it is left as they made it: its rows
        are reported as skipped, so an import never overwrites a person's edit (the rows it does change stay
        locked until the batch commits)."""
        result = replace(plan.result)
        stale = self._changed_since(plan)
        changed = [known for known in plan.changed if known.lead.pk not in stale]
        extras = [(known, drafts) for known, drafts in plan.extras if known.lead.pk not in stale]
        # Every row of a lead left alone is reported once, with why: its "nothing new" line gives way to that.
        skips = [skip for skip in plan.skips if skip.lead is None or skip.lead.lead.pk not in stale]
        for known, drafts in plan.extras:
            if known.lead.pk in stale:
                result.updated -= known.rows_updated
                result.skipped += known.rows_updated
                reason = "Changed by someone while the import ran; left as they made it"
                skips.extend(Skip(draft, reason, known) for draft in drafts)
        plan.company_rows.insert()
        plan.leads.insert()
        now = timezone.now()
        if changed:
            fields = sorted({name for known in changed for name in known.changes})
            for known in changed:
                known.lead.score_stale = True  # rescored by the task the finished import queues
            leads_update([known.lead for known in changed], [*fields, *KEY_FIELDS, "updated_at", "score_stale"])
        added = extras_save(self.job, extras)
        changes_save(self.job, changed, added, now)
        self._lawful_bases_save(extras, now)
        conflicts_save(plan.conflicts)
        problem_rows(self.job, plan.drafts, skips).insert()
        return result

    def _lawful_bases_save(self, extras: list[tuple[Known, list[LeadDraft]]], at: datetime) -> None:
        """The lawful basis each lead's rows name (the last that names one), recorded with its source and time by
        crm.services.consent, as a basis always is: on new leads, and on matched ones that have none (or over
        theirs when the import overwrites). A few bulk queries per basis."""
        by_basis: dict[str, list[int]] = defaultdict(list)
        for known, drafts in extras:
            basis = next((draft.lawful_basis for draft in reversed(drafts) if draft.lawful_basis), "")
            if basis:
                by_basis[basis].append(known.lead.pk)
        source = self.job.lawful_basis_source or f"Import file {self.job.original_name}"
        for basis, lead_ids in by_basis.items():
            leads_lawful_basis_set(
                lead_ids=lead_ids, basis=basis, source=source[:SOURCE_LENGTH], actor=self.actor, at=at,
                only_unknown=not self.overwrite,
            )  # fmt: skip

    def _changed_since(self, plan: BatchPlan) -> set[int]:
        """The leads the plan changes that someone else changed after it read them; the others are locked now."""
        if not plan.versions:
            return set()
        rows = Lead.objects.select_for_update().filter(pk__in=plan.versions).order_by("pk")
        current = dict(rows.values_list("pk", "updated_at"))
        return {pk for pk, version in plan.versions.items() if current.get(pk) != version}

    def _apply_to_existing(
        self,
        matched: dict[int, list[tuple[LeadDraft, int | None, str]]],
        in_flight: dict[int, Lead | NewLead],
        result: BatchResult,
        skips: list[Skip],
        extras: list[tuple[Known, list[LeadDraft]]],
    ) -> tuple[list[Known], dict[int, datetime]]:
        """Apply the rows matching leads already in the database, in file order, to the leads the importer may
        change (loaded whole; a lead of the batch in flight as that batch leaves it, copied: the batch is still
        writing the original). Returns the leads changed and when each was last changed before."""
        leads = Lead.objects.in_bulk([pk for pk in matched if pk not in in_flight])
        leads.update({pk: _lead_copy(in_flight[pk]) for pk in matched if pk in in_flight})
        changed, versions = [], {}
        for pk, rows in matched.items():
            lead = leads.get(pk)
            if lead is None or not self.may_change(lead.owner_id) or self.skip:
                result.skipped += len(rows)
                skips.extend(self._skip(lead, draft, how) for draft, _, how in rows)
                continue
            known = Known(lead=lead, new=False)
            for draft, company_id, how in rows:
                if _apply(known, draft, company_id, self.overwrite):
                    known.rows_updated += 1
                else:
                    skips.append(Skip(draft, f"Already in the CRM (same {how}); nothing new to add", known))
            result.updated += known.rows_updated
            result.skipped += len(rows) - known.rows_updated
            extras.append((known, [draft for draft, _, _ in rows]))
            if known.changes:
                changed.append(known)
                versions[pk] = lead.updated_at
        return changed, versions

    def _skip(self, lead: Lead | None, draft: LeadDraft, how: str) -> Skip:
        if lead is None:
            return Skip(draft, "Matched a lead deleted while the import ran")
        seen = Known(lead=lead, new=False) if self.may_see(lead.owner_id) else None
        if not self.may_change(lead.owner_id):
            return Skip(draft, SOMEONE_ELSES, seen)
        return Skip(draft, f"Already in the CRM (same {how}); duplicates are skipped", seen)

    def _lead_new(self, draft: LeadDraft, company_id: int | None) -> NewLead:
        """The new lead's values that differ from what every lead of this import gets (_lead_rows' `fixed`)."""
        values = {name: value for name, value in draft.fields.items() if name != "source"}
        if draft.fields.get("source"):
            values["source"] = str(draft.fields["source"])
        return NewLead(
            **values,
            owner_id=self.job.owner_id,  # whose it is, for the next batch to know while this one is in flight
            company_id=company_id,
            custom_fields=dict(draft.custom),
            email_key=draft.email_key,
            linkedin_slug=draft.linkedin_slug,
            name_key=draft.name_key,
        )

    def _lead_rows(self, created: list[tuple[NewLead, LeadDraft]], now: datetime) -> TableRows:
        fixed = {
            "stage_id": self.stage.pk,
            "owner_id": self.job.owner_id,
            "source": self.job.source,
            "lifecycle": self.job.lifecycle,
            "import_job_id": self.job.pk,
            "created_at": now,
            "updated_at": now,
        }
        return TableRows.of(Lead, [vars(lead) for lead, _ in created], fixed)


def _lead_copy(lead: Lead | NewLead) -> Lead:
    """A lead of the batch in flight, to change in this one: a copy, as a Lead (a new one holds only its values)."""
    return copy.copy(lead) if isinstance(lead, Lead) else Lead(**vars(lead))
