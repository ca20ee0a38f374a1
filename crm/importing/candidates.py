"""The leads a batch's drafts may be: looked up in the database by the drafts' keys, and matched to each draft
(strong keys first, then a shared phone, then a similar name at the same company), with how each was matched and
the hard conflicts that kept two records apart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import Length
from rapidfuzz import fuzz, process

from crm.dedup import same_email_two_people
from crm.importing.drafts import LeadDraft
from crm.lookups import OneOf
from crm.matching import NAME_MATCH, names_conflict
from crm.models import Lead


class LeadKeys(NamedTuple):
    """The columns a lead already in the database is matched on, read without building a model instance."""

    pk: int
    phone: str
    company_id: int | None
    email_key: str
    linkedin_slug: str
    name_key: str
    first_name: str = ""  # read only where an email match must be checked against it


class NewLead(SimpleNamespace):
    """A lead this batch is about to create: the values its row gave, which vars() hands to the lead table's rows;
    the fields every lead of the import shares are added there (BatchWriter._lead_rows)."""

    phone = ""  # matched on (LeadIndex) even when the row had none
    first_name = ""


@dataclass
class Known:
    """A lead a draft can match: one already in the database, or one this batch is about to create."""

    lead: Lead | LeadKeys | NewLead  # in the database, its keys only, or about to be created
    new: bool
    line: int = 0  # the file line a new lead comes from
    changes: dict[str, list] = field(default_factory=dict)
    rows_updated: int = 0  # rows of the file that changed it, counted as updated


@dataclass
class Match:
    """What a draft was matched to and how ("email", "LinkedIn profile"...), and a lead that shares its email or
    phone but is someone else (a hard conflict, for a person to look at)."""

    known: Known | None = None
    how: str = ""
    conflict: Known | None = None
    conflict_reason: str = ""


class LeadIndex:
    """Leads by the keys drafts are matched on."""

    def __init__(self) -> None:
        self.by_slug: dict[str, Known] = {}
        self.by_email: dict[str, Known] = {}
        self.by_phone: dict[str, list[Known]] = defaultdict(list)
        # Colleagues by (company, draft has an email, draft has a LinkedIn profile): the leads such a draft may be.
        self.by_company: dict[tuple[int, bool, bool], list[Known]] = defaultdict(list)

    def add(self, known: Known) -> None:
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

    def match(self, draft: LeadDraft, company_id: int | None) -> Match:
        """Strong keys first: the same LinkedIn profile, else the same email unless the two carry different
        profiles or first names that are not variants of each other; a shared phone only when the names agree;
        then a similar name at the same company."""
        known = self.by_slug.get(draft.linkedin_slug) if draft.linkedin_slug else None
        if known:
            return Match(known, "LinkedIn profile")
        found = Match()
        known = self.by_email.get(draft.email_key) if draft.email_key else None
        if known:
            why = same_email_two_people(
                (str(draft.fields.get("first_name", "")), draft.linkedin_slug),
                (known.lead.first_name, known.lead.linkedin_slug),
            )
            if not why:
                return Match(known, "email")
            found = Match(conflict=known, conflict_reason=why)
        for candidate in self.by_phone.get(draft.phone, []) if draft.phone else []:
            if not names_conflict(draft.name_key, candidate.lead.name_key):
                found.known, found.how = candidate, "phone"
                return found
        if company_id and draft.name_key:
            colleagues = self.by_company.get((company_id, bool(draft.email_key), bool(draft.linkedin_slug)), [])
            best = process.extractOne(
                draft.name_key,
                [k.lead.name_key for k in colleagues],
                scorer=fuzz.token_sort_ratio,
                score_cutoff=NAME_MATCH,
            )
            if best:
                found.known, found.how = colleagues[best[2]], "name at the same company"
        return found


def database_index(
    drafts: list[LeadDraft], company_ids: list[int | None], in_flight: dict[int, Lead | NewLead]
) -> LeadIndex:
    """The leads the drafts may match: looked up by their keys, with the leads of the batch being written as
    that batch leaves them (the database may not show them yet)."""
    emails = {d.email_key for d in drafts if d.email_key}
    slugs = {d.linkedin_slug for d in drafts if d.linkedin_slug}
    phones = {d.phone for d in drafts if d.phone}
    # Separate queries, so each uses its own index. An email match is checked against the first name.
    queries = [
        (Lead.objects.filter(OneOf(F("email_key"), emails)), ("first_name",)),
        (Lead.objects.filter(OneOf(F("linkedin_slug"), slugs)), ()),
        (Lead.objects.filter(OneOf(F("phone"), phones)), ()),
        *((query, ()) for query in _colleague_queries(drafts, company_ids)),
    ]
    leads: dict[int, LeadKeys | Lead | NewLead] = {}
    for queryset, extra in queries:
        for keys in _lead_keys(queryset, extra):
            if keys.pk not in in_flight and (keys.pk not in leads or extra):
                leads[keys.pk] = keys
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
    index = LeadIndex()
    for pk in sorted(leads):
        index.add(Known(lead=leads[pk], new=False))
    return index


def _lead_keys(queryset: QuerySet, extra: tuple[str, ...]) -> Iterator[LeadKeys]:
    """The leads' keys, read without building model instances (no ORDER BY: it makes SQLite walk the whole table
    in pk order instead of looking the keys up in their index)."""
    columns = LeadKeys._fields[: len(LeadKeys._fields) - 1] + extra
    return (LeadKeys(*row) for row in queryset.order_by().values_list(*columns))


def _colleague_queries(drafts: list[LeadDraft], company_ids: list[int | None]) -> list[QuerySet]:
    """The leads a draft could match by a similar name at its company: only those lacking the keys it has
    (see LeadIndex.add), so at a company whose drafts all have an email only the colleagues without one are
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
            queries.append(_lacking(strong).filter(OneOf(F("company_id"), companies - wider)).exclude(name_key=""))
    return queries


def _lacking(keys: tuple[str, ...]) -> QuerySet:
    """Leads without any of these keys, asked so that each database finds them in the colleagues index."""
    if connection.vendor == "postgresql":
        # As equalities, which the index (company, email_key, linkedin_slug, ...) answers by reading only the
        # colleagues without them: with the column's length PostgreSQL read every colleague at the company.
        return Lead.objects.filter(**dict.fromkeys(keys, ""))
    # Not asked as email_key = "" on SQLite: its statistics cannot tell that "" is a good share of the column, and
    # it would look "" up in that column's own index rather than read the company's colleagues.
    lengths = {f"{key}_length": Length(key) for key in keys}
    return Lead.objects.alias(**lengths).filter(**dict.fromkeys(lengths, 0))
