"""Writing one batch of lead drafts: companies resolved, duplicates matched in the file and in the database,
new leads created and existing ones skipped, filled or overwritten, all with a few bulk queries. Planned first
(reads and decisions), then saved (writes only)."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Field, IntegerField, JSONField, Lookup, Min, Model, QuerySet
from django.db.models.fields import AutoFieldMixin
from django.db.models.functions import Length
from django.db.models.options import Options
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from rapidfuzz import fuzz, process

from crm.importing.rows import LeadDraft
from crm.matching import NAME_MATCH, lead_keys_refresh, names_conflict
from crm.models import (
    Activity,
    Company,
    ImportChange,
    ImportJob,
    ImportRejection,
    Lead,
    ListMembership,
    Note,
    Stage,
    Tag,
)

# The lead fields an import may fill or overwrite on an existing lead (never stage, owner, score or source).
UPDATABLE = [
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "linkedin_url",
    "website",
    "location",
    "time_zone",
    "deal_value",
    "company_id",
]
KEY_FIELDS = ["email_key", "linkedin_slug", "name_key"]


@dataclass
class BatchResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0


class _OneOf(Lookup):
    """`field IN values`, the values sent as one parameter, a JSON list. With a placeholder per value, as `__in`
    writes it, building and binding a batch's lookups took longer than running them, and so did quoting an array
    of them: psycopg quotes each element in Python, json.dumps the whole list in C."""

    lookup_name = "one_of"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:
        # Not `= ANY(array)`: for a batch's 2,000 keys PostgreSQL reckons a scan of the whole table cheaper than
        # 2,000 index lookups and is wrong by 2-3 times; joined with the list's rows, it looks them up.
        cast = self.lhs.output_field.cast_db_type(connection)
        values = f"SELECT value::{cast} FROM jsonb_array_elements_text(%s::jsonb) AS value"  # noqa: S608 (a type)
        return self._sql(compiler, values)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list]:
        return self._sql(compiler, "SELECT value FROM json_each(%s)")

    def _sql(self, compiler: SQLCompiler, values_sql: str) -> tuple[str, list]:
        if not self.rhs:
            raise EmptyResultSet  # as `__in` does: the query returns nothing without asking the database
        lhs, params = compiler.compile(self.lhs)
        return f"{lhs} IN ({values_sql})", [*params, json.dumps(list(self.rhs))]


class _LeadKeys(NamedTuple):
    """The columns a lead already in the database is matched on, read without building a model instance."""

    pk: int
    phone: str
    company_id: int | None
    email_key: str
    linkedin_slug: str
    name_key: str


class _NewLead(SimpleNamespace):
    """A lead this batch is about to create: the values its row gave, which vars() hands to _TableRows.of; the
    fields every lead of the import shares are added there (BatchWriter._lead_rows)."""

    phone = ""  # matched on (_Index) even when the row had none


@dataclass
class _Known:
    """A lead a draft can match: one already in the database, or one this batch is about to create."""

    lead: Lead | _LeadKeys | _NewLead  # in the database, its keys only, or about to be created
    new: bool
    changes: dict[str, list] = field(default_factory=dict)


class _Index:
    """Leads by the keys drafts are matched on."""

    def __init__(self) -> None:
        self.by_slug: dict[str, _Known] = {}
        self.by_email: dict[str, _Known] = {}
        self.by_phone: dict[str, list[_Known]] = defaultdict(list)
        # Colleagues by (company, draft has an email, draft has a LinkedIn profile): the leads such a draft may be.
        self.by_company: dict[tuple[int, bool, bool], list[_Known]] = defaultdict(list)

    def add(self, known: _Known) -> None:
        lead = known.lead
        if lead.linkedin_slug:
            self.by_slug.setdefault(lead.linkedin_slug, known)
        if lead.email_key:
            self.by_email.setdefault(lead.email_key, known)
        if lead.phone:
            self.by_phone[lead.phone].append(known)
        if lead.company_id and lead.name_key:
            # Two different emails or LinkedIn profiles are two people however alike the names, and the same
            # email or profile is found by it above, so a colleague can only be a draft whose keys it lacks.
            for draft_has_email in (False, True) if not lead.email_key else (False,):
                for draft_has_slug in (False, True) if not lead.linkedin_slug else (False,):
                    self.by_company[lead.company_id, draft_has_email, draft_has_slug].append(known)

    def match(self, draft: LeadDraft, company_id: int | None) -> _Known | None:
        """Strong keys first; a shared phone only when the names agree; then a similar name at the same company."""
        known = self.by_slug.get(draft.linkedin_slug) if draft.linkedin_slug else None
        known = known or (self.by_email.get(draft.email_key) if draft.email_key else None)
        if known:
            return known
        for candidate in self.by_phone.get(draft.phone, []) if draft.phone else []:
            if not names_conflict(draft.name_key, candidate.lead.name_key):
                return candidate
        if company_id and draft.name_key:
            colleagues = self.by_company.get((company_id, bool(draft.email_key), bool(draft.linkedin_slug)), [])
            best = process.extractOne(
                draft.name_key,
                [k.lead.name_key for k in colleagues],
                scorer=fuzz.token_sort_ratio,
                score_cutoff=NAME_MATCH,
            )
            if best:
                return colleagues[best[2]]
        return None


def _companies_resolve(
    drafts: list[LeadDraft], in_flight: BatchPlan | None
) -> tuple[list[int | None], list[dict[str, object]]]:
    """The company of each draft: found by domain, else by cleaned name (in the database or among the companies
    of the batch being written), else new (once per batch); and the new companies' rows, ids taken."""
    domains = {d.company_domain for d in drafts if d.company_domain}
    keys = {d.company_key for d in drafts if d.company_key}
    # The oldest company with each domain and each name key, in the database or among the batch in flight's new
    # ones. Only the oldest: in a big database one name key can be shared by hundreds of companies.
    by_domain = _oldest(Company.objects.filter(_OneOf(F("domain"), domains)), "domain")
    by_key = _oldest(Company.objects.filter(_OneOf(F("name_key"), keys)), "name_key")
    for company in in_flight.companies if in_flight else []:
        for found, value in ((by_domain, company["domain"]), (by_key, company["name_key"])):
            if value:  # a company without a domain (or name key) is no match for every draft without one
                found[value] = min(found.get(value, company["pk"]), company["pk"])
    to_create: dict[str, dict[str, object]] = {}
    resolved: list[int | dict[str, object] | None] = []
    for draft in drafts:
        pk = by_domain.get(draft.company_domain) or by_key.get(draft.company_key)
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
    for company, pk in zip(to_create.values(), _ids_new(Company, len(to_create)), strict=True):
        company["pk"] = pk
    return [item["pk"] if isinstance(item, dict) else item for item in resolved], list(to_create.values())


def _oldest(companies: QuerySet[Company], column: str) -> dict[str, int]:
    """{value: pk of the oldest company with it}, by one grouped query."""
    grouped = companies.order_by().values(column).annotate(oldest=Min("pk"))
    return dict(grouped.values_list(column, "oldest"))


def _database_index(
    drafts: list[LeadDraft], company_ids: list[int | None], in_flight: dict[int, Lead | _NewLead]
) -> _Index:
    """The leads the drafts may match: looked up by their keys, with the leads of the batch being written as
    that batch leaves them (the database may not show them yet)."""
    emails = {d.email_key for d in drafts if d.email_key}
    slugs = {d.linkedin_slug for d in drafts if d.linkedin_slug}
    phones = {d.phone for d in drafts if d.phone}
    # Separate queries, so each uses its own index.
    queries = [
        Lead.objects.filter(_OneOf(F("email_key"), emails)),
        Lead.objects.filter(_OneOf(F("linkedin_slug"), slugs)),
        Lead.objects.filter(_OneOf(F("phone"), phones)),
        *_colleague_queries(drafts, company_ids),
    ]
    leads = {keys.pk: keys for queryset in queries for keys in _lead_keys(queryset) if keys.pk not in in_flight}
    # The batch in flight's leads as it leaves them, instead of how the database may still show them; only those
    # the lookups could find (most are not).
    companies = {company_id for company_id in company_ids if company_id}
    for pk, lead in in_flight.items():
        if (
            lead.email_key in emails
            or lead.linkedin_slug in slugs
            or lead.phone in phones
            or lead.company_id in companies
        ):
            leads[pk] = lead
    # In pk order, however many queries find a lead: the oldest of equally good matches wins.
    index = _Index()
    for pk in sorted(leads):
        index.add(_Known(lead=leads[pk], new=False))
    return index


def _lead_keys(queryset: QuerySet) -> Iterator[_LeadKeys]:
    """The leads' keys, read without building model instances (no ORDER BY: it makes SQLite walk the whole table
    in pk order instead of looking the keys up in their index)."""
    return (_LeadKeys(*row) for row in queryset.order_by().values_list(*_LeadKeys._fields))


def _colleague_queries(drafts: list[LeadDraft], company_ids: list[int | None]) -> list[QuerySet]:
    """The leads a draft could match by a similar name at its company: only those lacking the keys it has
    (see _Index.add), so at a company whose drafts all have an email only the colleagues without one are
    read: at a big company, a few."""
    lacking: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for draft, company_id in zip(drafts, company_ids, strict=True):
        if company_id and draft.name_key:
            strong = ("email_key",) * bool(draft.email_key) + ("linkedin_slug",) * bool(draft.linkedin_slug)
            lacking[strong].add(company_id)
    queries = []
    for strong, companies in lacking.items():
        # A company where another draft lacks some of these keys itself is read by that wider query.
        wider = set().union(*(lacking[other] for other in lacking if set(other) < set(strong)))
        if companies - wider:
            # "Has no email" is not asked as email_key = "": SQLite's statistics cannot tell that "" is a good
            # share of the column, and would look it up in that index rather than in the company's.
            lengths = {f"{key}_length": Length(key) for key in strong}
            narrowed = Lead.objects.alias(**lengths).filter(**dict.fromkeys(lengths, 0))
            queries.append(narrowed.filter(_OneOf(F("company_id"), companies - wider)).exclude(name_key=""))
    return queries


def _apply(known: _Known, draft: LeadDraft, company_id: int | None, overwrite: bool) -> bool:
    """Copy the draft's values onto a lead: into empty fields only, or over what is there; True if anything changed."""
    lead = known.lead
    incoming = {**draft.fields, "company_id": company_id}
    changed = False
    for name in UPDATABLE:
        value = incoming.get(name)
        current = getattr(lead, name, None)  # a new lead holds only the fields its row gave
        if value in (None, "") or current == value or (current not in (None, "") and not overwrite):
            continue
        known.changes.setdefault(name, [_json(current), None])[1] = _json(value)
        setattr(lead, name, value)
        changed = True
    custom = dict(lead.custom_fields)
    for key, value in draft.custom.items():
        if key not in custom or (overwrite and custom[key] != value):
            custom[key] = value
    if custom != lead.custom_fields:
        known.changes.setdefault("custom_fields", [lead.custom_fields, None])[1] = custom
        lead.custom_fields = custom
        changed = True
    return changed


def _json(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


@dataclass
class BatchPlan:
    """A batch matched and ready to write: BatchWriter.plan works it out, BatchWriter.save writes it. The next
    batch may be planned while this one is written, so it also tells that plan what this batch will change."""

    result: BatchResult
    companies: list[dict[str, object]]  # new companies' values, "pk" included, for the next plan to find
    company_rows: _TableRows
    leads: _TableRows
    activities: _TableRows  # timeline lines of the leads it changes
    rejections: _TableRows
    changes: _TableRows
    updated: list[Lead]  # existing leads the batch changes, as it leaves them
    update_fields: list[str]
    extras: list[tuple[Lead | _NewLead, list[LeadDraft]]]  # each lead with the rows whose tags, note, list it gets
    created: list[_NewLead]

    def leads_in_flight(self) -> dict[int, Lead | _NewLead]:
        """The leads this batch creates or changes, by pk, as it leaves them."""
        return {lead.pk: lead for lead in [*self.created, *self.updated]}


class BatchWriter:
    """Plans and writes batches for one import job; holds what stays the same from batch to batch.

    plan() reads and decides; save() only writes. On PostgreSQL the next batch is planned on a second connection
    while this one is written (crm.importing.jobs), so plan() is told of the batch in flight: its new companies
    and leads, and the leads it changes, which the database will show only once it commits.
    """

    def __init__(self, job: ImportJob, stage: Stage) -> None:
        self.job = job
        self.stage = stage
        self.overwrite = job.on_duplicate == ImportJob.OnDuplicate.OVERWRITE
        self.skip = job.on_duplicate == ImportJob.OnDuplicate.SKIP

    def plan(self, drafts: list[LeadDraft], in_flight: BatchPlan | None = None) -> BatchPlan:
        result = BatchResult()
        usable = [d for d in drafts if not d.rejected]
        company_ids, companies = _companies_resolve(usable, in_flight)
        leads_in_flight = in_flight.leads_in_flight() if in_flight else {}
        existing = _database_index(usable, company_ids, leads_in_flight)
        pending = _Index()
        created: list[tuple[_NewLead, LeadDraft]] = []
        matched: dict[int, list[tuple[LeadDraft, int | None]]] = defaultdict(list)
        for draft, company_id in zip(usable, company_ids, strict=True):
            known = pending.match(draft, company_id) or existing.match(draft, company_id)
            if known is None:
                lead = self._lead_new(draft, company_id)
                pending.add(_Known(lead=lead, new=True))
                created.append((lead, draft))
                result.imported += 1
            elif self.skip:
                result.skipped += 1
            elif known.new:
                # A second row for someone earlier in this file: merged into the lead about to be created.
                changed = _apply(known, draft, company_id, self.overwrite)
                result.updated += changed
                result.skipped += not changed
            else:
                matched[known.lead.pk].append((draft, company_id))
        for (lead, _), pk in zip(created, _ids_new(Lead, len(created)), strict=True):
            lead.pk = pk
        updates = self._apply_to_existing(matched, result, leads_in_flight)
        changed = [known for known in updates.values() if known.changes]
        now = timezone.now()
        for known in changed:
            lead_keys_refresh(known.lead)
            known.lead.updated_at = now
        result.rejected = sum(1 for draft in drafts if draft.rejected)
        return BatchPlan(
            result=result,
            companies=companies,
            company_rows=_TableRows.of(Company, companies),
            leads=self._lead_rows(created, now),
            activities=self._update_lines(changed, now),
            rejections=self._problem_rows(drafts),
            changes=_TableRows.of(
                ImportChange,
                [
                    {
                        "lead_id": known.lead.pk,
                        "before": {name: pair[0] for name, pair in known.changes.items()},
                        "after": {name: pair[1] for name, pair in known.changes.items()},
                    }
                    for known in changed
                ],
                {"job_id": self.job.pk},
            ),
            updated=[known.lead for known in changed],
            update_fields=[*sorted({name for known in changed for name in known.changes}), *KEY_FIELDS, "updated_at"],
            extras=[
                *((lead, [draft]) for lead, draft in created),
                *((known.lead, [draft for draft, _ in matched[pk]]) for pk, known in updates.items()),
            ],
            created=[lead for lead, _ in created],
        )

    def save(self, plan: BatchPlan) -> BatchResult:
        """Write a planned batch: inserts and updates only, nothing read that the plan could have decided."""
        plan.company_rows.insert()
        plan.leads.insert()
        plan.activities.insert()
        if plan.updated:
            _leads_update(plan.updated, plan.update_fields)
        plan.changes.insert()
        self._save_extras(plan.extras)
        plan.rejections.insert()
        return plan.result

    def _apply_to_existing(
        self,
        matched: dict[int, list[tuple[LeadDraft, int | None]]],
        result: BatchResult,
        in_flight: dict[int, Lead | _NewLead],
    ) -> dict[int, _Known]:
        """Load the matched leads whole and apply their rows in file order. A lead of the batch in flight is taken
        as that batch leaves it, copied: the batch is still writing the original."""
        leads = Lead.objects.in_bulk([pk for pk in matched if pk not in in_flight])
        leads.update({pk: _lead_copy(in_flight[pk]) for pk in matched if pk in in_flight})
        updates = {pk: _Known(lead=lead, new=False) for pk, lead in leads.items()}
        for pk, rows in matched.items():
            for draft, company_id in rows:
                changed = pk in updates and _apply(updates[pk], draft, company_id, self.overwrite)
                result.updated += changed
                result.skipped += not changed
        return updates

    def _lead_new(self, draft: LeadDraft, company_id: int | None) -> _NewLead:
        """The new lead's values that differ from what every lead of this import gets (_lead_rows' `fixed`)."""
        values = {name: value for name, value in draft.fields.items() if name != "source"}
        if draft.fields.get("source"):
            values["source"] = str(draft.fields["source"])
        return _NewLead(
            **values,
            company_id=company_id,
            custom_fields=dict(draft.custom),
            email_key=draft.email_key,
            linkedin_slug=draft.linkedin_slug,
            name_key=draft.name_key,
        )

    def _lead_rows(self, created: list[tuple[_NewLead, LeadDraft]], now: datetime) -> _TableRows:
        fixed = {
            "stage_id": self.stage.pk,
            "owner_id": self.job.owner_id,
            "source": self.job.source,
            "import_job_id": self.job.pk,
            "created_at": now,
            "updated_at": now,
        }
        return _TableRows.of(Lead, [vars(lead) for lead, _ in created], fixed)

    def _update_lines(self, changed: list[_Known], now: datetime) -> _TableRows:
        """A timeline line on each lead the batch changes. A lead it creates gets none: its page shows where it
        came from by its import job (crm.selectors.lead_page), which saves a row, its indexes and two foreign-key
        checks for every new lead, a tenth of a big import's time."""
        name = self.job.original_name
        rows = [
            {
                "lead_id": known.lead.pk,
                "summary": f"Updated from {name}: {', '.join(sorted(known.changes))}"[:300],
                "data": {"import": self.job.pk, "changes": known.changes},
            }
            for known in changed
        ]
        fixed = {"actor_id": self.job.created_by_id, "kind": Activity.Kind.UPDATED, "created_at": now}
        return _TableRows.of(Activity, rows, fixed)

    def _problem_rows(self, drafts: list[LeadDraft]) -> _TableRows:
        """Rejected rows and the cells that could not be used (the row itself imported)."""
        rows = []
        for draft in drafts:
            if draft.rejected:
                rows.append({"line": draft.line, "reason": draft.rejected[:500], "values": draft.values})
            rows.extend(
                {
                    "line": draft.line,
                    "column": problem.column[:255],
                    "reason": problem.reason[:500],
                    "values": draft.values,
                    "row_rejected": False,
                }
                for problem in draft.problems
                if not draft.rejected
            )
        return _TableRows.of(ImportRejection, rows, {"job_id": self.job.pk})

    def _save_extras(self, leads: list[tuple[Lead | _NewLead, list[LeadDraft]]]) -> None:
        """Tags, notes and list membership, for new and matched leads alike."""
        names = sorted({tag for _, drafts in leads for draft in drafts for tag in draft.tags})
        if names:
            Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
            tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
            Lead.tags.through.objects.bulk_create(
                [
                    Lead.tags.through(lead_id=lead.pk, tag_id=tag_ids[tag])
                    for lead, drafts in leads
                    for tag in {tag for draft in drafts for tag in draft.tags}
                ],
                ignore_conflicts=True,
            )
        Note.objects.bulk_create(
            Note(lead_id=lead.pk, author_id=self.job.created_by_id, body=draft.note)
            for lead, drafts in leads
            for draft in drafts
            if draft.note
        )
        if self.job.lead_list_id:
            ListMembership.objects.bulk_create(
                [
                    ListMembership(
                        lead_list_id=self.job.lead_list_id, lead_id=lead.pk, added_by_id=self.job.created_by_id
                    )
                    for lead, _ in leads
                ],
                ignore_conflicts=True,
            )


def _lead_copy(lead: Lead | _NewLead) -> Lead:
    """A lead of the batch in flight, to change in this one: a copy, as a Lead (a new one holds only its values)."""
    return copy.copy(lead) if isinstance(lead, Lead) else Lead(**vars(lead))


@dataclass
class _TableRows:
    """New rows for one table, ready to insert: each a list of database values, id first. Built by the plan,
    inserted by save(), which then has nothing left to work out.

    COPY on PostgreSQL (DESIGN.md's bulk import path), one INSERT run by executemany on SQLite. No model
    instances: building and reading them cost more than the writes.
    """

    model: type[Model]
    values: list[list]

    @classmethod
    def of(
        cls, model: type[Model], rows: list[dict[str, object]], fixed: dict[str, object] | None = None
    ) -> _TableRows:
        """Rows given as {attname: value}, every other field taking its value from `fixed` or its default; a row's
        "pk" is its id, and rows without one get new ids."""
        ids = [row["pk"] for row in rows] if rows and "pk" in rows[0] else _ids_new(model, len(rows))
        return cls(model, list(_db_rows(model, rows, ids, fixed or {})) if rows else [])

    def insert(self) -> None:
        if not self.values:
            return
        meta = self.model._meta
        db = connections[DEFAULT_DB_ALIAS]
        quote = db.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [meta.pk, *_insert_fields(meta)])
        table = quote(meta.db_table)
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in self.values:
                        copy.write_row(values)
                return
            placeholders = ", ".join(["%s"] * len(self.values[0]))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", self.values)  # noqa: S608


def _insert_fields(meta: Options) -> list[Field]:
    return [f for f in meta.concrete_fields if not f.primary_key]


def _db_rows(
    model: type[Model], rows: list[dict[str, object]], ids: list[int], fixed: dict[str, object]
) -> Iterator[list]:
    """Each row as the database takes it: its id, then every field's value, converted as bulk_create would."""
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: `connection` finds it again on every use
    fields = _insert_fields(model._meta)
    position = {f.attname: i for i, f in enumerate(fields, start=1)}
    template = [None, *(_db_value(f, _field_default(f, fixed), db) for f in fields)]
    converted: dict[str, dict] = defaultdict(dict)  # field: {value: database value}, most values repeat
    # Text fields store a str as it is, integer fields (ids and foreign keys among them) an int: the conversion
    # would hand back the same value, at a cost per cell.
    as_is = {f.attname: _plain_type(f) for f in fields}
    # JSON values are dicts and lists, which cannot be looked up in `converted`.
    unhashable = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    for pk, row in zip(ids, rows, strict=True):
        out = template.copy()
        out[0] = pk
        for name, value in row.items():
            index = position.get(name)
            if index is None:
                continue
            if type(value) is as_is[name]:
                out[index] = value
            elif name in unhashable:
                out[index] = _db_value(fields[index - 1], value, db)
            else:
                out[index] = _converted(converted[name], fields[index - 1], value, db)
        yield out


def _plain_type(field: Field) -> type | None:
    """The Python type whose values the field stores unchanged, if any."""
    target = field.target_field if field.is_relation else field
    if target.get_internal_type() in {"CharField", "TextField"}:
        return str
    if isinstance(target, (IntegerField, AutoFieldMixin)):
        return int
    return None


def _db_value(field: Field, value: object, db: BaseDatabaseWrapper) -> object:
    """A field's value as the database takes it. JSON as its text, which both databases take (PostgreSQL parses it
    on the way in), written here by json.dumps as Django would: the plan does it, not the writing connection."""
    if isinstance(field, JSONField):
        return None if value is None else json.dumps(value, cls=field.encoder)
    return field.get_db_prep_save(value, db)


def _field_default(field: Field, fixed: dict[str, object]) -> object:
    """What a new row holds in this field unless told otherwise: as save() would set it, time stamps included."""
    if field.attname in fixed:
        return fixed[field.attname]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def _converted(cache: dict, field: Field, value: object, db: BaseDatabaseWrapper) -> object:
    """The database value of a field's value, each distinct value converted once; values equal in Python (1 and
    True, 1.0 and 1.00) are stored alike by the field."""
    try:
        return cache[value]
    except KeyError:
        cache[value] = converted = _db_value(field, value, db)
        return converted


def _ids_new(model: type[Model], count: int) -> list[int] | range:
    """Ids for `count` new rows, ascending as bulk_create gives them (the file's order is the leads' order)."""
    if not count:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence's name found once, in a subquery: as nextval's argument it was looked up for every id.
            cursor.execute(
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite plans each batch inside the transaction that writes it, which began IMMEDIATE (settings.DATABASES),
        # so no other writer can take these before it commits. An AUTOINCREMENT table goes on from the highest id
        # it ever gave, kept in sqlite_sequence.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
        given = cursor.fetchone()
        pk, table = connection.ops.quote_name(meta.pk.column), connection.ops.quote_name(meta.db_table)
        cursor.execute(f"SELECT MAX({pk}) FROM {table}")  # noqa: S608 (the model's own names)
        last = max(given[0] if given else 0, cursor.fetchone()[0] or 0)
    return range(last + 1, last + 1 + count)


def _leads_update(leads: list[Lead], names: list[str]) -> None:
    """Write these fields of each lead with one UPDATE run by executemany (pipelined by psycopg 3): bulk_update's
    CASE per field and lead costs far more to build than the writes themselves."""
    fields = [Lead._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Only the model's own table and column names go into the text; every value is a parameter.
    sql = f"UPDATE {quote(Lead._meta.db_table)} SET {assignments} WHERE {quote(Lead._meta.pk.column)} = %s"  # noqa: S608
    db = connections[DEFAULT_DB_ALIAS]
    rows = [[*(f.get_db_prep_save(getattr(lead, f.attname), db) for f in fields), lead.pk] for lead in leads]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
