"""The headline figures with their trend (this period against the one before it): the Overview report, the
dashboard's panel and the weekly email all show these.

Each figure counts what happened in the period (events), not a cohort: new leads added, replies received, leads
with a meeting booked, value won (deals moved into a won stage), and the reply rate (leads who replied of leads
emailed: the timeline's Email sent lines, which outreach writes for every message it sends). Both periods come from
the same few aggregate queries over indexed time columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek

from analytics.measures import meeting_stage_ids
from analytics.reports import Chart, Column, Scope, Table, report
from analytics.rollups import Split, rollups_split
from analytics.scoping import lead_q, leads_in_scope
from crm.models import Activity, Stage, StageChange


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str
    now: int | float | Decimal | None
    before: int | float | Decimal | None

    @property
    def change(self) -> float | None:
        """The change as a fraction of the previous period's figure (None when there was none)."""
        if self.now is None or not self.before:
            return None
        return float((Decimal(str(self.now)) - Decimal(str(self.before))) / Decimal(str(self.before)))


def _both(field: str, scope: Scope, previous: Scope) -> dict[str, Q]:
    return {
        "now": Q(**{f"{field}__gte": scope.since, f"{field}__lt": scope.until}),
        "before": Q(**{f"{field}__gte": previous.since, f"{field}__lt": previous.until}),
    }


def _meetings(scope: Scope) -> int:
    """Leads with a meeting booked in the period (a Meeting booked line, or a move into that stage), each once."""
    window = {"created_at__gte": scope.since, "created_at__lt": scope.until}
    booked = Activity.objects.filter(lead_q(scope, "lead__"), kind=Activity.Kind.MEETING_BOOKED, **window)
    moved = StageChange.objects.filter(lead_q(scope, "lead__"), to_stage_id__in=meeting_stage_ids(), **window)
    return booked.order_by().values("lead_id").union(moved.order_by().values("lead_id")).count()


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rolled_up(split: Split) -> dict[str, int | float | Decimal | None]:
    """One period's figures from the rollups."""
    won = split.total("timeline_events", kind="won")
    leads = split.distinct("lead_days")
    replied, emailed = leads.get(("replied",), 0), leads.get(("emailed",), 0)
    return {
        "new_leads": split.total("added")["added"],
        "replies": split.total("timeline_events", kind="replies")["n"],
        "meetings": leads.get(("met",), 0),
        "won_deals": won["n"],
        "won_value": won["value"] or Decimal("0"),
        "reply_rate": _rate(replied, emailed),
    }


def headline_figures(scope: Scope) -> list[Figure]:
    return _figures(scope, rollups_split(scope))


def _figures(scope: Scope, split: Split | None) -> list[Figure]:
    if split is not None:
        previous = scope.previous()
        now, before = _rolled_up(split), _rolled_up(split.over(previous.start, previous.end))
        return [Figure(key, label, kind, now[key], before[key]) for key, label, kind in FIGURES]
    return _live_figures(scope)


FIGURES = [
    ("new_leads", "New leads and contacts", "int"),
    ("replies", "Replies", "int"),
    ("meetings", "Meetings booked", "int"),
    ("won_deals", "Deals won", "int"),
    ("won_value", "Value won", "money"),
    ("reply_rate", "Reply rate (leads who replied of leads emailed)", "percent"),
]


def _live_figures(scope: Scope) -> list[Figure]:
    previous = scope.previous()
    added = _both("created_at", scope, previous)
    leads = (
        leads_in_scope(scope)
        .filter(added["now"] | added["before"])
        .aggregate(now=Count("pk", filter=added["now"]), before=Count("pk", filter=added["before"]))
    )
    when = _both("created_at", scope, previous)
    # One pass over the timeline's lines of both periods (its created_at index), replies and sent emails together.
    reply, sent = Q(kind=Activity.Kind.REPLIED), Q(kind=Activity.Kind.EMAIL_SENT)
    timeline = (
        Activity.objects.filter(lead_q(scope, "lead__"), kind__in=[Activity.Kind.REPLIED, Activity.Kind.EMAIL_SENT])
        .filter(when["now"] | when["before"])
        .aggregate(
            replies_now=Count("pk", filter=reply & when["now"]),
            replies_before=Count("pk", filter=reply & when["before"]),
            replied_now=Count("lead_id", distinct=True, filter=reply & when["now"]),
            replied_before=Count("lead_id", distinct=True, filter=reply & when["before"]),
            emailed_now=Count("lead_id", distinct=True, filter=sent & when["now"]),
            emailed_before=Count("lead_id", distinct=True, filter=sent & when["before"]),
        )
    )
    won = (
        StageChange.objects.filter(lead_q(scope, "lead__"), to_stage__kind=Stage.Kind.WON)
        .filter(when["now"] | when["before"])
        .aggregate(
            now=Sum("lead__deal_value", filter=when["now"]),
            before=Sum("lead__deal_value", filter=when["before"]),
            deals_now=Count("pk", filter=when["now"]),
            deals_before=Count("pk", filter=when["before"]),
        )
    )
    figures = {
        "new_leads": (leads["now"], leads["before"]),
        "replies": (timeline["replies_now"], timeline["replies_before"]),
        "meetings": (_meetings(scope), _meetings(previous)),
        "won_deals": (won["deals_now"], won["deals_before"]),
        "won_value": (won["now"] or Decimal("0"), won["before"] or Decimal("0")),
        "reply_rate": (
            _rate(timeline["replied_now"], timeline["emailed_now"]),
            _rate(timeline["replied_before"], timeline["emailed_before"]),
        ),
    }
    return [Figure(key, label, kind, *figures[key]) for key, label, kind in FIGURES]


def headline_table(scope: Scope, split: Split | None) -> Table:
    previous = scope.previous()
    return Table(
        slug="headline",
        title="Headline figures",
        columns=[
            Column("figure", "Figure"),
            Column("now", "This period", "number"),
            Column("before", f"Previous {scope.days} days", "number"),
            Column("change", "Change", "percent"),
        ],
        rows=[
            {
                "figure": figure.label,
                "now": figure.now,
                "before": figure.before,
                "change": figure.change,
                "_kinds": {"now": figure.kind, "before": figure.kind},
            }
            for figure in _figures(scope, split)
        ],
        note=f"What happened in the period, against {previous.start:%-d %b %Y} – {previous.end:%-d %b %Y}. "
        "Value won is the expected deal value of deals moved into a won stage.",
    )


# Longer periods are drawn per week: a line of 90 days reads no better, and its table is three pages long.
LONGEST_DAILY = 45


def _buckets(scope: Scope) -> tuple[str, list[date]]:
    """ "day" or "week", and the first day of each bucket in the period."""
    if scope.days <= LONGEST_DAILY:
        return "day", [scope.start + timedelta(days=offset) for offset in range(scope.days)]
    monday = scope.start - timedelta(days=scope.start.weekday())
    return "week", [monday + timedelta(weeks=offset) for offset in range((scope.end - monday).days // 7 + 1)]


def _bucket_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def daily_table(scope: Scope, split: Split | None) -> Table:
    """New leads and replies per day of the period, or per week of a long one (buckets without any show zero)."""
    unit, buckets = _buckets(scope)
    if split is not None:
        added, replies = defaultdict(int), defaultdict(int)
        for (day,), row in split.rows("added", ("day",)).items():
            added[_bucket(day, unit)] += row["added"]
        for (day,), row in split.rows("timeline_events", ("day",), kind="replies").items():
            replies[_bucket(day, unit)] += row["n"]
    else:
        added, replies = _live_daily(scope, unit)
    return Table(
        slug="daily",
        title="Per day" if unit == "day" else "Per week",
        columns=[
            Column("day", "Day" if unit == "day" else "Week of"),
            Column("added", "New leads and contacts", "int"),
            Column("replies", "Replies", "int"),
        ],
        rows=[{"day": d.isoformat(), "added": added.get(d, 0), "replies": replies.get(d, 0)} for d in buckets],
        chart=Chart(kind="line", x="day", series=("added", "replies")),
    )


def _bucket(day: date, unit: str) -> date:
    return day if unit == "day" else day - timedelta(days=day.weekday())


def _live_daily(scope: Scope, unit: str) -> tuple[dict[date, int], dict[date, int]]:
    truncate = TruncDate if unit == "day" else TruncWeek
    day = truncate("created_at", tzinfo=scope.zone)
    window = {"created_at__gte": scope.since, "created_at__lt": scope.until}
    added = _by_bucket(
        leads_in_scope(scope)
        .filter(**window)
        .annotate(day=day)
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    replies = _by_bucket(
        Activity.objects.filter(lead_q(scope, "lead__"), kind=Activity.Kind.REPLIED, **window)
        .annotate(day=day)
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return added, replies


def _by_bucket(pairs: Iterable[tuple[date | datetime, int]]) -> dict[date, int]:
    return {_bucket_of(bucket): count for bucket, count in pairs}


@report("overview", "Overview", order=5)
def overview_report(scope: Scope) -> list[Table]:
    split = rollups_split(scope)  # one for both tables: today's live rows are counted once
    return [headline_table(scope, split), daily_table(scope, split)]
