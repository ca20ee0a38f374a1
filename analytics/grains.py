"""The rollups' grain functions (analytics.rollups): each report's figures of a scope's days, per day and dimension,
counted with the same querysets and definitions the report's live queries use, so a stored day and a live one agree.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from analytics import enrichment, funnel, outreach, reps
from analytics.measures import meeting_stage_ids, met, qualified_thresholds, replied
from analytics.models import (
    AddedDay,
    CohortDay,
    DurationDay,
    EnrichedDay,
    EventDay,
    FoundDay,
    LeadDay,
    OutreachDay,
    SendTimeDay,
)
from analytics.reports import Scope
from analytics.rollups import FIRST_DAY, bucketed, rollup
from analytics.scoping import lead_q, leads_added
from crm.locale import zone_or_none
from crm.models import Activity, Lead, Stage, StageChange

# Each lead-attributed row's dimensions: the lead's source and owner now.
LEAD_DIMS = ("source", "owner_id")
# The rollup job counts each grain three times: over every lead (segment ""), then over the lists' members and the
# sequences' enrolled leads, each in one pass with the lead's list (sequence) joined as a dimension - a lead in two
# lists counts in both - rather than once per list and sequence. The join from a lead to its lists (sequences):
SEGMENT_JOINS = {"list": "memberships__lead_list_id", "sequence": "enrollments__sequence_id"}
# Longer ranges than this are read through server-side cursors (the nightly fill), shorter ones in one fetch.
LIVE_DAYS = 31
# A query's IN list at most this long (SQLite's limit on bound parameters is 32,766).
CHUNK = 10_000


def _day(field: str, scope: Scope) -> TruncDate:
    return TruncDate(field, tzinfo=scope.zone)


def _segment_dim(path: str, segment_by: str, own: str = "") -> dict[str, F]:
    """The list (sequence) of the lead reached through `path`, as "lead_segment", when counting per `segment_by`;
    `own`: the rows' own sequence instead of the lead's enrolments (outreach counts a sequence's own messages)."""
    if not segment_by:
        return {}
    return {"lead_segment": F(own if segment_by == "sequence" and own else f"{path}{SEGMENT_JOINS[segment_by]}")}


def _lead_dims(path: str, segment_by: str = "", own: str = "") -> dict[str, F]:
    """The lead's source and owner, under names no model's own field has (FieldSource has a source); and its
    segment when counting per list or sequence."""
    dims = {"lead_source": F(f"{path}source"), "lead_owner": F(f"{path}owner_id")}
    return dims | _segment_dim(path, segment_by, own)


def _segmented(rows: Iterable[dict], segment_by: str) -> Iterator[dict]:
    """Rows with their segment ("list:ID", "sequence:ID") when counting per `segment_by`; the rows of leads in no
    list (sequence) are left out."""
    for row in rows:
        if segment_by:
            member_of = row.pop("lead_segment")
            if member_of is None:
                continue
            row["segment"] = f"{segment_by}:{member_of}"
        yield row


def _named(rows: Iterable[dict], segment_by: str = "") -> Iterator[dict]:
    """Rows with the lead's dimensions under the rollups' names."""
    for row in _segmented(rows, segment_by):
        row["source"], row["owner_id"] = row.pop("lead_source"), row.pop("lead_owner")
        yield row


# ---------------------------------------------------------------------------------------------------------------
# Leads added, by what they are now: the funnel and the sources.
# ---------------------------------------------------------------------------------------------------------------

COHORT_MEASURES = ("added", "value", "mql", "sql", "replied", "met")


COHORT_DIMS = (*LEAD_DIMS, "campaign_id", "is_lead", "stage_kind", "furthest")


def _cohort_counts() -> dict[str, Any]:
    mql, sql = qualified_thresholds()
    return {
        "added": Count("pk"),
        "value": Sum("deal_value"),
        "mql": Count("pk", filter=Q(score__gte=mql)),
        "sql": Count("pk", filter=Q(score__gte=sql)),
        "replied": Count("pk", filter=replied()),
        "met": Count("pk", filter=met()),
    }


def _cohort_rows(grouped: QuerySet) -> Iterator[dict]:
    for row in grouped.annotate(**_cohort_counts()):
        lifecycle, kind = row.pop("lifecycle"), row.pop("stage__kind")
        yield {"campaign_id": None, **row, "is_lead": lifecycle == Lead.Lifecycle.LEAD, "stage_kind": kind}


@rollup("cohort", CohortDay, COHORT_DIMS, COHORT_MEASURES, campaign_id__isnull=True)
def cohort_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    pipeline, _ = funnel.default_pipeline()
    grouped = funnel.furthest_groups(
        leads_added(scope), pipeline, *LEAD_DIMS, day=_day("created_at", scope), **_segment_dim("", segment_by)
    )
    yield from _segmented(_cohort_rows(grouped), segment_by)


@rollup("added", AddedDay, LEAD_DIMS, ("added",))
def added_grain(scope: Scope, segment_by: str = "") -> Iterable[dict]:
    """The leads added only, without the cohort's per-lead subqueries."""
    grouped = (
        leads_added(scope).order_by().values(*LEAD_DIMS, day=_day("created_at", scope), **_segment_dim("", segment_by))
    )
    return _segmented(grouped.annotate(added=Count("pk")), segment_by)


@rollup("campaign_cohort", CohortDay, COHORT_DIMS, COHORT_MEASURES, campaign_id__isnull=False)
def campaign_cohort_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    """A lead counts for each capture campaign whose runs created it, as the Sources report's campaign table joins."""
    pipeline, _ = funnel.default_pipeline()
    grouped = funnel.furthest_groups(
        leads_added(scope).filter(import_job__scrape_runs__isnull=False),
        pipeline,
        *LEAD_DIMS,
        day=_day("created_at", scope),
        campaign_id=F("import_job__scrape_runs__campaign_id"),
        **_segment_dim("", segment_by),
    )
    yield from _segmented(_cohort_rows(grouped), segment_by)


# ---------------------------------------------------------------------------------------------------------------
# Durations, bucketed: from a lead's previous move to each move into a stage (the funnel, by the lead's day added),
# and from a lead's message to the team's first answer (reps, by the day it came).
# ---------------------------------------------------------------------------------------------------------------


DURATION_DIMS = (*LEAD_DIMS, "cut", "measure", "key", "bucket")


@rollup("stage_durations", DurationDay, DURATION_DIMS, ("n",), measure="stage")
def stage_durations_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    dims = _lead_dims("", segment_by)
    values_sql, params = funnel.stage_durations_sql(leads_added(scope), day=_day("created_at", scope), **dims)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT grp, value, day, {', '.join(dims)} FROM ({values_sql}) AS v", params)  # noqa: S608
        moves = (dict(zip(("key", "seconds", "day", *dims), row, strict=True)) for row in cursor)
        stage_rows = bucketed(_named(_as_day(moves), segment_by))
    for row in stage_rows:
        yield {"measure": "stage", **row}


@rollup("response_durations", DurationDay, DURATION_DIMS, ("n",), measure="response")
def response_durations_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    answers = reps.replies_received(scope).values(
        "occurred_at",
        "answered_at",
        key=F("conversation__assigned_to_id"),
        **_lead_dims("conversation__lead__", segment_by),
    )
    zone = scope.zone  # a property reading the site's settings: once, not per row
    timed = (
        {**row, "day": row["occurred_at"].astimezone(zone).date(), "seconds": _seconds(row)}
        for row in _named(answers.iterator(10_000), segment_by)
    )
    for row in bucketed(timed):
        yield {"measure": "response", **row}


def _as_day(rows: Iterable[dict]) -> Iterator[dict]:
    """SQLite answers a truncated date as text."""
    for row in rows:
        if isinstance(row["day"], str):
            row["day"] = date.fromisoformat(row["day"])
        yield row


def _seconds(row: dict) -> float | None:
    return (row["answered_at"] - row["occurred_at"]).total_seconds() if row["answered_at"] else None


# ---------------------------------------------------------------------------------------------------------------
# Events: counts (and sums) of what happened on a day, with the person they count for.
# ---------------------------------------------------------------------------------------------------------------


EVENT_DIMS = (*LEAD_DIMS, "kind", "person_id")


@rollup("timeline_events", EventDay, EVENT_DIMS, ("n", "value"), kind__in=["replies", "won"])
def timeline_events_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    replies = Activity.objects.filter(
        lead_q(scope, "lead__"), kind=Activity.Kind.REPLIED, created_at__gte=scope.since, created_at__lt=scope.until
    ).order_by()
    yield from _events("replies", replies, "created_at", scope, segment_by, n=Count("pk"))
    won = StageChange.objects.filter(
        lead_q(scope, "lead__"), to_stage__kind=Stage.Kind.WON, created_at__gte=scope.since, created_at__lt=scope.until
    ).order_by()
    yield from _events("won", won, "created_at", scope, segment_by, n=Count("pk"), value=Sum("lead__deal_value"))


@rollup("rep_events", EventDay, EVENT_DIMS, ("n", "value"), kind__in=["moves", "tasks_done", "received", "answered"])
def rep_events_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    counted = {"scope": scope, "segment_by": segment_by}
    yield from _events("moves", reps.stage_moves(scope), "created_at", **counted, person="actor_id", n=Count("pk"))
    yield from _events("tasks_done", reps.tasks_done(scope), "done_at", **counted, person="assignee_id", n=Count("pk"))
    received = reps.replies_received(scope)
    counted |= {"person": "conversation__assigned_to_id", "path": "conversation__lead__"}
    yield from _events("received", received, "occurred_at", **counted, n=Count("pk"))
    yield from _events("answered", received, "occurred_at", **counted, n=Count("answered_at"))


@rollup("mail_events", EventDay, EVENT_DIMS, ("n", "value"), kind__in=list(enrichment.MAILED.values()))
def mail_events_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    mailed = enrichment.messages_sent(scope)
    for verified, kind in enrichment.MAILED.items():
        counts = {"n": enrichment.BOUNCES["sent"], "value": enrichment.BOUNCES["bounced"]}
        yield from _events(kind, mailed.filter(lead__email_verified=verified), "sent_at", scope, segment_by, **counts)


def _events(
    kind: str,
    rows: QuerySet,
    when: str,
    scope: Scope,
    segment_by: str,
    person: str = "",
    path: str = "lead__",
    **counts: Any,
) -> Iterator[dict]:
    named = {"person_id": F(person)} if person else {}
    grouped = rows.values(day=_day(when, scope), **_lead_dims(path, segment_by), **named).annotate(**counts)
    for row in _named(grouped, segment_by):
        if row["n"]:
            yield {"kind": kind, "person_id": None, "value": None, **row}


# ---------------------------------------------------------------------------------------------------------------
# Leads who did something on a day, by the day they last did it before: counts of distinct leads over any range.
# ---------------------------------------------------------------------------------------------------------------


def _lead_kinds(scope: Scope) -> dict[str, list[QuerySet]]:
    """Per kind, the rows (each with a lead and a created_at) that make a lead count for it, over `scope`'s days:
    lead_days' kinds and won_leads' "won"."""
    window = {"created_at__gte": scope.since, "created_at__lt": scope.until}
    timeline = Activity.objects.filter(lead_q(scope, "lead__"), **window).order_by()
    changes = StageChange.objects.filter(lead_q(scope, "lead__"), **window).order_by()
    return {
        "replied": [timeline.filter(kind=Activity.Kind.REPLIED)],
        "emailed": [timeline.filter(kind=Activity.Kind.EMAIL_SENT)],
        "met": [
            timeline.filter(kind=Activity.Kind.MEETING_BOOKED),
            changes.filter(to_stage_id__in=meeting_stage_ids()),
        ],
        "won": [reps.deals_won(scope)],
    }


LEAD_DAY_DIMS = (*LEAD_DIMS, "kind", "previous")


@rollup("lead_days", LeadDay, LEAD_DAY_DIMS, ("leads",), looks_back=True, kind__in=["replied", "emailed", "met"])
def lead_days_grain(scope: Scope, segment_by: str = "", back_to: date = FIRST_DAY) -> Iterator[dict]:
    return _lead_days(scope, ("replied", "emailed", "met"), segment_by, back_to)


@rollup("won_leads", LeadDay, LEAD_DAY_DIMS, ("leads",), looks_back=True, kind="won")
def won_leads_grain(scope: Scope, segment_by: str = "", back_to: date = FIRST_DAY) -> Iterator[dict]:
    return _lead_days(scope, ("won",), segment_by, back_to)


def _lead_days(scope: Scope, kinds: tuple[str, ...], segment_by: str, back_to: date) -> Iterator[dict]:
    """Rows of leads who did each kind per day, with the day each last did it before (None: not since `back_to`)."""
    within = _lead_kinds(scope)  # querysets built once: each build reads the meeting stages
    earlier = _lead_kinds(dataclasses.replace(scope, start=back_to, end=scope.start))
    for kind in kinds:
        sets = within[kind]
        days: dict[int, set[date]] = defaultdict(set)
        dims: dict[int, tuple] = {}
        segments: dict[int, set[str]] = defaultdict(set)
        for rows in sets:
            pairs = rows.values("lead_id", day=_day("created_at", scope), **_lead_dims("lead__", segment_by)).distinct()
            # A server-side cursor for the nightly fill's millions of rows; a request's day in one fetch.
            for row in _named(pairs.iterator(5000) if scope.days > LIVE_DAYS else pairs, segment_by):
                lead_id, day = row["lead_id"], row["day"]
                days[lead_id].add(date.fromisoformat(day) if isinstance(day, str) else day)
                dims[lead_id] = (row["source"], row["owner_id"])
                segments[lead_id].add(row.get("segment", ""))
        before = _last_days_before(scope, earlier[kind], list(days)) if scope.start > back_to else {}
        counted: dict[tuple, int] = defaultdict(int)
        for lead_id, lead_days in days.items():
            previous = before.get(lead_id)
            for day in sorted(lead_days):
                for segment in segments[lead_id]:
                    counted[(day, *dims[lead_id], previous, segment)] += 1
                previous = day
        for (day, source, owner_id, previous, segment), leads in counted.items():
            yield {"day": day, "source": source, "owner_id": owner_id, "kind": kind, "previous": previous,
                   "segment": segment, "leads": leads}  # fmt: skip


def _last_days_before(scope: Scope, earlier: list[QuerySet], lead_ids: list[int]) -> dict[int, date]:
    """The last day before the scope's first on which each lead did the kind (`earlier`: its rows before it)."""
    zone = scope.zone
    last: dict[int, date] = {}
    for start in range(0, len(lead_ids), CHUNK):
        chunk = lead_ids[start : start + CHUNK]
        for rows in earlier:
            found = rows.filter(lead_id__in=chunk, created_at__lt=scope.since).values("lead_id")
            for row in found.annotate(last=Max("created_at")):
                day = row["last"].astimezone(zone).date()
                last[row["lead_id"]] = max(day, last.get(row["lead_id"], day))
    return last


# ---------------------------------------------------------------------------------------------------------------
# Outreach: messages sent per step, variant, mailbox and owner; and per weekday and hour in the lead's zone.
# ---------------------------------------------------------------------------------------------------------------

# A sequence's figures here are its own messages (as outreach.sent_messages reads a sequence), not every message
# to the leads it enrolled.
OWN = "enrollment__sequence_id"


@rollup("outreach", OutreachDay, (*LEAD_DIMS, "step_id", "variant_id", "mailbox_id"), outreach.COUNTS)
def outreach_grain(scope: Scope, segment_by: str = "") -> Iterable[dict]:
    grouped = outreach.sent_messages(scope).values(
        "step_id", "variant_id", "mailbox_id", day=_day("sent_at", scope), **_lead_dims("lead__", segment_by, OWN)
    )
    return _named(outreach._counted(grouped), segment_by)


@rollup("send_times", SendTimeDay, (*LEAD_DIMS, "weekday", "hour"), ("sent", "replied"))
def send_times_grain(scope: Scope, segment_by: str = "") -> Iterator[dict]:
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    site = scope.zone  # a property reading the site's settings: once, not per row
    zones: dict[str, Any] = {}
    messages = outreach.sent_messages(scope).values(
        "sent_at", "lead__time_zone", "replied_at", **_lead_dims("lead__", segment_by, OWN)
    )
    for row in _named(messages.iterator(10_000), segment_by):
        sent_at, zone = row["sent_at"], row["lead__time_zone"]
        if zone not in zones:
            zones[zone] = zone_or_none(zone) or site
        local = sent_at.astimezone(zones[zone])
        day = sent_at.astimezone(site).date()
        slot = counts[(day, row["source"], row["owner_id"], local.weekday(), local.hour, row.get("segment", ""))]
        slot[0] += 1
        slot[1] += row["replied_at"] is not None
    for (day, source, owner_id, weekday, hour, segment), (sent, replied_count) in counts.items():
        yield {"day": day, "source": source, "owner_id": owner_id, "weekday": weekday, "hour": hour,
               "segment": segment, "sent": sent, "replied": replied_count}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Enrichment: items finished per job, values found per field and source.
# ---------------------------------------------------------------------------------------------------------------


@rollup("enriched", EnrichedDay, (*LEAD_DIMS, "job_id"), ("items", "succeeded", "email", "email_verified", "phone"))
def enriched_grain(scope: Scope, segment_by: str = "") -> Iterable[dict]:
    grouped = enrichment.items_finished(scope).values(
        "job_id", day=_day("finished_at", scope), **_lead_dims("lead__", segment_by)
    )
    return _named(grouped.annotate(**enrichment.item_counts()), segment_by)


@rollup(
    "found",
    FoundDay,
    (*LEAD_DIMS, "field", "found_by"),
    ("found", "verified", "applied", "values", "confidence_sum"),
)
def found_grain(scope: Scope, segment_by: str = "") -> Iterable[dict]:
    grouped = enrichment.values_found(scope).values(
        "field", day=_day("found_at", scope), found_by=F("source"), **_lead_dims("lead__", segment_by)
    )
    counts = {**enrichment.VALUE_COUNTS, "values": Count("pk"), "confidence_sum": Sum("confidence")}
    return _named(grouped.annotate(**counts), segment_by)
