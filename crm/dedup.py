"""The duplicate scan: finds leads that look like one person and keeps a DuplicateCandidate row per pair.

Cost grows with the number of leads, not with its square: exact keys are found by grouping queries, and
names are only compared inside small blocks (one company, or the leads sharing a phone), never across the table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations, groupby
from operator import itemgetter

from django.db import transaction
from django.db.models import Count, QuerySet
from django_q.tasks import async_task
from rapidfuzz import fuzz, process

from crm.matching import NAME_CONFLICT, NAME_MATCH, identities_conflict, names_conflict, names_similarity
from crm.models import DuplicateCandidate, Lead

logger = logging.getLogger(__name__)

# A key shared by more leads than this (a mistyped import, a placeholder) pairs each lead with the oldest
# one only, so a group of n costs n pairs, not n²/2; merging through the oldest still resolves them all.
ALL_PAIRS_LIMIT = 20
# A phone shared by more leads than this is a switchboard (see _shared_phone_pairs).
SWITCHBOARD_SIZE = 20
# Names are compared all-against-all within at most this many leads: a company (or a phone) with more is
# split by the first letter of the name key, and a letter with more still is read in overlapping windows.
BLOCK_LIMIT = 500
WRITE_BATCH = 500

SCORE_SAME_EMAIL = 100
# The same email on two records that something says are two people (crm.matching.identities_conflict): listed for a
# person to look at, below the sure pairs. Imports keep such rows apart and list them the same way.
SCORE_SAME_EMAIL_TWO_PEOPLE = 60
SCORE_SAME_LINKEDIN = 100
SCORE_SAME_PHONE = 90


@dataclass(frozen=True, slots=True)
class _Person:
    """What the scan reads of one lead."""

    pk: int
    name_key: str
    email_key: str = ""
    linkedin_slug: str = ""


class _Found:
    """Pairs found so far, each with its best score; on a tie the first rule's reason stays."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[int, int], tuple[int, str]] = {}

    def offer(self, first: int, second: int, score: int, reason: str) -> None:
        pair = (first, second) if first < second else (second, first)
        best = self.pairs.get(pair)
        if best is None or score > best[0]:
            self.pairs[pair] = (score, reason[:200])


def duplicates_scan() -> int:
    """Find suspected duplicate pairs among all leads and upsert their candidates; returns how many are new.

    A django-q2 task body, safe to run twice: dismissed pairs are never reopened, open ones get the
    current score and reason, and open ones that no longer look alike (someone fixed an email) are removed.
    """
    found = _Found()
    _shared_email_pairs(found)
    _exact_key_pairs(found, "linkedin_slug", SCORE_SAME_LINKEDIN, "Same LinkedIn profile")
    _shared_phone_pairs(found)
    _same_company_pairs(found)
    new, updated, stale = _candidates_write(found.pairs)
    logger.info("duplicate scan: %d pairs, %d new, %d updated, %d stale", len(found.pairs), new, updated, stale)
    return new


def duplicates_scan_queue() -> None:
    """Run the scan on the cluster once the current transaction has committed."""
    transaction.on_commit(lambda: async_task("crm.dedup.duplicates_scan", group="duplicates"))


# --- exact keys -----------------------------------------------------------------------------------


def _shared(field: str) -> QuerySet:
    """Values of `field` that more than one lead has, as a subquery (GROUP BY ... HAVING COUNT > 1)."""
    return (
        Lead.objects.exclude(**{field: ""})
        .order_by()
        .values(field)
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values(field)
    )


def _groups(field: str, *columns: str) -> Iterator[list[tuple]]:
    """The leads sharing each value of `field`, one list per value, read in one ordered query."""
    rows = (
        Lead.objects.filter(**{f"{field}__in": _shared(field)})
        .order_by(field, *columns[1:], "id")
        .values_list(field, *columns)
        .iterator(chunk_size=5000)
    )
    for _value, group in groupby(rows, key=itemgetter(0)):
        yield [row[1:] for row in group]


def _group_pairs(pks: list[int]) -> Iterable[tuple[int, int]]:
    if len(pks) <= ALL_PAIRS_LIMIT:
        return combinations(pks, 2)
    oldest = min(pks)
    return ((oldest, pk) for pk in pks if pk != oldest)


def _exact_key_pairs(found: _Found, field: str, score: int, reason: str) -> None:
    for group in _groups(field, "id"):
        for first, second in _group_pairs([row[0] for row in group]):
            found.offer(first, second, score, reason)


def _shared_email_pairs(found: _Found) -> None:
    """The same email is one person, unless different LinkedIn profiles or first names say two: such a pair is still
    listed, lower, with why."""
    for group in _groups("email_key", "id", "first_name", "linkedin_slug"):
        people = {pk: (first_name, slug) for pk, first_name, slug in group}
        for first, second in _group_pairs(list(people)):
            why = same_email_two_people(people[first], people[second])
            if why:
                found.offer(first, second, SCORE_SAME_EMAIL_TWO_PEOPLE, why)
            else:
                found.offer(first, second, SCORE_SAME_EMAIL, "Same email")


def same_email_two_people(first: tuple[str, str], second: tuple[str, str]) -> str:
    """Why two records sharing an email, each given as (first name, LinkedIn slug), are two people; "" if not."""
    why = identities_conflict(first_names=(first[0], second[0]), linkedin_slugs=(first[1], second[1]))
    return f"Same email, {why}" if why else ""


def _shared_phone_pairs(found: _Found) -> None:
    """A shared phone is one person unless the names clearly differ (a family line, a small office).

    A phone shared by more than SWITCHBOARD_SIZE leads is a switchboard: there, names that merely do not
    conflict would flag ~0.7% of all its pairs (926 for 500 random names), so the names must match instead.
    """
    for group in _groups("phone", "id", "name_key"):
        people = [_Person(pk, name_key) for pk, name_key in group]
        if len(people) <= SWITCHBOARD_SIZE:
            pairs = _pairs_not_conflicting(people)
        else:
            pairs = ((first, second) for first, second, _score in _pairs_matching(people))
        for first, second in pairs:
            found.offer(first.pk, second.pk, SCORE_SAME_PHONE, "Same phone")


def _pairs_not_conflicting(people: list[_Person]) -> Iterator[tuple[_Person, _Person]]:
    """Pairs whose names do not conflict; `people` is small, so no blocking."""
    unnamed = [person for person in people if not person.name_key]
    named = [person for person in people if person.name_key]
    # An unknown name never conflicts, so it pairs with everyone in the group.
    for person in unnamed:
        for other in people:
            if other is not person and (other.name_key or other.pk > person.pk):
                yield person, other
    for i, j, _rough in _similar_names(named, NAME_CONFLICT - 1):
        if not names_conflict(named[i].name_key, named[j].name_key):
            yield named[i], named[j]


def _pairs_matching(people: list[_Person]) -> Iterator[tuple[_Person, _Person, int]]:
    """Pairs whose known names are alike (NAME_MATCH) with their similarity, compared block by block."""
    named = [person for person in people if person.name_key]
    for block in _blocks(named):
        for i, j, _rough in _similar_names(block, NAME_MATCH - 1):
            # The pair's score is the one crm.matching gives, rounded as it rounds.
            score = names_similarity(block[i].name_key, block[j].name_key)
            if score >= NAME_MATCH:
                yield block[i], block[j], score


# --- similar names at one company -----------------------------------------------------------------


def _same_company_pairs(found: _Found) -> None:
    """Similar names at the same company, unless both have personal emails or LinkedIn profiles that differ."""
    companies_shared = (
        Lead.objects.exclude(company=None)
        .exclude(name_key="")
        .order_by()
        .values("company")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values("company")
    )
    rows = (
        Lead.objects.filter(company__in=companies_shared)
        .exclude(name_key="")
        .order_by("company_id", "name_key", "id")
        .values_list("company_id", "company__name", "id", "name_key", "email_key", "linkedin_slug")
        .iterator(chunk_size=5000)
    )
    for _company_id, group in groupby(rows, key=itemgetter(0)):
        members = list(group)
        reason = f"Similar name at {members[0][1]}"
        for first, second, score in _pairs_matching([_Person(*row[2:]) for row in members]):
            if not _two_people(first, second):
                found.offer(first.pk, second.pk, score, reason)


def _two_people(first: _Person, second: _Person) -> bool:
    """Two personal emails or two LinkedIn profiles that differ are two people, however alike the names."""
    return bool(
        (first.email_key and second.email_key and first.email_key != second.email_key)
        or (first.linkedin_slug and second.linkedin_slug and first.linkedin_slug != second.linkedin_slug)
    )


def _blocks(people: list[_Person]) -> Iterator[list[_Person]]:
    """Groups of at most BLOCK_LIMIT people to compare all-against-all; `people` is sorted by name key."""
    if len(people) <= BLOCK_LIMIT:
        yield people
        return
    by_letter = groupby(people, key=lambda person: person.name_key[:1])
    for _letter, letter_group in by_letter:
        letter_people = list(letter_group)
        if len(letter_people) <= BLOCK_LIMIT:
            yield letter_people
            continue
        # Sorted by name, so near-identical names sit close together: half-overlapping windows keep
        # every neighbour within BLOCK_LIMIT / 2 places of each other in at least one window.
        step = BLOCK_LIMIT // 2
        for start in range(0, len(letter_people) - step, step):
            yield letter_people[start : start + BLOCK_LIMIT]


def _similar_names(people: list[_Person], cutoff: int) -> Iterator[tuple[int, int, float]]:
    """(i, j, score) for i < j whose name keys score at least `cutoff` (rapidfuzz's token_sort_ratio)."""
    names = [person.name_key for person in people]
    for i, name in enumerate(names[:-1]):
        later = names[i + 1 :]
        for _choice, score, offset in process.extract(
            name, later, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, limit=None
        ):
            yield i, i + 1 + offset, score


# --- writing the candidates -----------------------------------------------------------------------


def _candidates_write(found: dict[tuple[int, int], tuple[int, str]]) -> tuple[int, int, int]:
    """Create new pairs, refresh open ones and drop stale open ones; returns (new, updated, stale)."""
    existing = {
        (a, b): (pk, status, score, reason)
        for pk, a, b, status, score, reason in DuplicateCandidate.objects.order_by().values_list(
            "pk", "lead_a_id", "lead_b_id", "status", "score", "reason"
        )
    }
    new = [
        DuplicateCandidate(lead_a_id=a, lead_b_id=b, score=score, reason=reason)
        for (a, b), (score, reason) in found.items()
        if (a, b) not in existing
    ]
    changed = []
    stale = []
    for pair, (pk, status, score, reason) in existing.items():
        if status != DuplicateCandidate.Status.OPEN:
            continue  # dismissed stays dismissed; merged is history
        if pair not in found:
            stale.append(pk)
        elif found[pair] != (score, reason):
            changed.append(DuplicateCandidate(pk=pk, score=found[pair][0], reason=found[pair][1]))
    with transaction.atomic():
        # Leads merged or deleted while the scan was reading are left out. One removed in the instant
        # between this check and the commit still fails the foreign key; the cluster then retries the job.
        new = _with_live_leads(new)
        # ignore_conflicts: another scan running at the same time may have written the same pair.
        DuplicateCandidate.objects.bulk_create(new, batch_size=WRITE_BATCH, ignore_conflicts=True)
        DuplicateCandidate.objects.bulk_update(changed, ["score", "reason"], batch_size=WRITE_BATCH)
        for start in range(0, len(stale), WRITE_BATCH):
            DuplicateCandidate.objects.filter(
                pk__in=stale[start : start + WRITE_BATCH], status=DuplicateCandidate.Status.OPEN
            ).delete()
    return len(new), len(changed), len(stale)


def _with_live_leads(candidates: list[DuplicateCandidate]) -> list[DuplicateCandidate]:
    wanted = sorted({pk for c in candidates for pk in (c.lead_a_id, c.lead_b_id)})
    live = set()
    for start in range(0, len(wanted), WRITE_BATCH):
        live.update(Lead.objects.filter(pk__in=wanted[start : start + WRITE_BATCH]).values_list("pk", flat=True))
    return [c for c in candidates if c.lead_a_id in live and c.lead_b_id in live]
