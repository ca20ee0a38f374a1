"""Rollups: the reports' figures per whole past day, kept in tables so a page over 90 days sums a few thousand rows
instead of joining a period's timeline to a million leads.

Each rollup is a grain function registered with @rollup: the figures of a scope's days per day and dimension, from
the live tables. `manage.py analytics_rollup` stores its rows for whole past days (analytics/rollup_job.py); a report
reads a scope through `rollups_split`: the stored rows up to the last rolled-up day, plus the same grain function run
live over the days after it (today), so the figures count everything up to the request. Rollups answer the owner and
source filters (their rows' columns) and a list or a sequence (the job counts every grain again over the members of
each list and each sequence, in rows of their own `segment`); a scope narrowed to a capture campaign, to a list and a
sequence at once, or tables counted under other settings (the site's zone, the score thresholds, the default
pipeline's stages), are answered by the live queries. Figures that follow leads to today (their stage, score,
replies, owner, lists) are as of the last run for leads added before it: the nightly run counts them again.

Counts of distinct leads (leads who replied in the range) add up through LeadDay's `previous` day; medians through
log-scaled buckets: a bucket b >= 1 holds durations in [RATIO^(b-1), RATIO^b) seconds and stands for their geometric
middle, so a median read from buckets is within sqrt(RATIO) - 1 (2.5 %) of the exact one, or 1 second near zero.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import models
from django.db.models import Q, Sum

from analytics.reports import Scope, site_zone

RATIO = 1.05
# The first day a full rebuild counts from (and "all time" for figures of every lead, such as leads owned).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


@dataclass(frozen=True)
class Rollup:
    name: str
    model: type[models.Model]
    dims: tuple[str, ...]
    measures: tuple[str, ...]
    grain: Callable[..., Iterable[dict]]
    # Its rows among the model's, when rollups share a model (lookups): a page then counts only the live rows it reads.
    owns: dict[str, Any] = field(default_factory=dict)
    # Rows with the day each lead last did the same before (counts of distinct leads): a page's live rows need look
    # back only to the page's first day, the grain's `back_to` (the stored ones, to the first lead).
    looks_back: bool = False


ROLLUPS: dict[str, Rollup] = {}


def rollup(
    name: str,
    model: type[models.Model],
    dims: tuple[str, ...],
    measures: tuple[str, ...],
    *,
    looks_back: bool = False,
    **owns: Any,
) -> Callable:
    """Register a grain function: Scope -> rows {"day", *dims, *measures} for the scope's days and owner and source
    filters (it is called with no filters to fill the table); `owns`: its rows' lookups in a shared model."""

    def register(grain: Callable[..., Iterable[dict]]) -> Callable[..., Iterable[dict]]:
        ROLLUPS[name] = Rollup(name, model, dims, measures, grain, owns=owns, looks_back=looks_back)
        return grain

    return register


def rollup_basis() -> dict[str, Any]:
    """The settings the figures are counted under: tables counted under others are not read."""
    from analytics.measures import meeting_stage_ids, qualified_thresholds
    from crm.models import Pipeline

    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    stages = list(pipeline.stages.values_list("pk", "position", "kind")) if pipeline else []
    return {
        "zone": site_zone().key,
        "qualified": list(qualified_thresholds()),
        "stages": [list(stage) for stage in sorted(stages)],
        "meeting_stages": sorted(meeting_stage_ids()),
    }


def rolled_through() -> date | None:
    """The last day the tables hold, when they were counted under today's settings."""
    from analytics.models import RollupState

    state = RollupState.objects.filter(pk=1, through__isnull=False).values("through", "basis").first()
    if state is None or state["basis"] != rollup_basis():
        return None
    return state["through"]


def segment_of(scope: Scope) -> str | None:
    """The rows of the leads a scope narrows to: "" every lead, "list:ID" a list's members, "sequence:ID" a
    sequence's (its own messages, for outreach); None for a list and a sequence at once, which no rows hold."""
    if scope.list_id and scope.sequence_id:
        return None
    if scope.list_id:
        return f"list:{scope.list_id}"
    if scope.sequence_id:
        return f"sequence:{scope.sequence_id}"
    return ""


def day_range(scope: Scope, field: str = "day") -> Q:
    return Q(**{f"{field}__gte": scope.start, f"{field}__lte": scope.end})


@dataclass(frozen=True)
class Split:
    """A scope as the stored days (up to `through`) and the live ones after it; each part may be empty."""

    scope: Scope
    through: date
    # The live grain rows of the scope's days after `through`, per rollup, computed once per report.
    _live: dict[str, list[dict]] = field(default_factory=dict, compare=False, repr=False)

    def live_rows(self, name: str) -> list[dict]:
        if not self.live:
            return []
        if name not in self._live:
            chosen = ROLLUPS[name]
            # distinct() asks only whether a lead's previous day is before the scope's first.
            looking = {"back_to": self.scope.start} if chosen.looks_back else {}
            self._live[name] = list(chosen.grain(self.live, **looking))
        return self._live[name]

    @property
    def past(self) -> Scope | None:
        if self.scope.start > self.through:
            return None
        return dataclasses.replace(self.scope, end=min(self.scope.end, self.through))

    @property
    def live(self) -> Scope | None:
        if self.scope.end <= self.through:
            return None
        return dataclasses.replace(self.scope, start=max(self.scope.start, self.through + timedelta(days=1)))

    def over(self, start: date, end: date) -> Split:
        """The same filters over other days (the previous period, all time)."""
        return Split(dataclasses.replace(self.scope, start=start, end=end), self.through)

    def _stored(self, chosen: Rollup, past: Scope, match: dict[str, Any]) -> models.QuerySet:
        stored = chosen.model.objects.filter(day_range(past), segment=segment_of(self.scope), **chosen.owns)
        stored = stored.filter(**match)
        if self.scope.owner_id:
            stored = stored.filter(owner_id=self.scope.owner_id)
        if self.scope.source:
            stored = stored.filter(source=self.scope.source)
        return stored.order_by()

    def rows(self, name: str, keys: tuple[str, ...] = (), **match: Any) -> dict[tuple, dict[str, Any]]:
        """The rollup's measures summed per `keys`, over rows whose fields equal `match` (None: empty)."""
        chosen = ROLLUPS[name]
        summed: dict[tuple, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(chosen.measures, 0))
        if self.past:
            sums = {f"sum_{m}": Sum(m) for m in chosen.measures}
            stored = self._stored(chosen, self.past, match)
            grouped = stored.values(*keys).annotate(**sums) if keys else [stored.aggregate(**sums)]
            for row in grouped:
                _add(summed[tuple(row[key] for key in keys)], {m: row[f"sum_{m}"] for m in chosen.measures})
        for row in self.live_rows(name):
            if all(row[column] == value for column, value in match.items()):
                _add(summed[tuple(row[key] for key in keys)], row)
        return summed

    def total(self, name: str, **match: Any) -> dict[str, Any]:
        return self.rows(name, **match).get((), dict.fromkeys(ROLLUPS[name].measures, 0))

    def distinct(self, name: str, keys: tuple[str, ...] = ()) -> dict[tuple, int]:
        """Leads who did each kind of the rollup `name`'s in the range, per (kind, *keys): each lead's first day of
        it in the range counts."""
        first = Q(previous__isnull=True) | Q(previous__lt=self.scope.start)
        counted: dict[tuple, int] = defaultdict(int)
        if self.past:
            stored = self._stored(ROLLUPS[name], self.past, {}).filter(first)
            for row in stored.values("kind", *keys).annotate(total=Sum("leads")):
                counted[tuple(row[key] for key in ("kind", *keys))] += row["total"]
        for row in self.live_rows(name):
            if row["previous"] is None or row["previous"] < self.scope.start:
                counted[tuple(row[key] for key in ("kind", *keys))] += row["leads"]
        return counted

    def medians(self, name: str) -> dict[Any, float] | None:
        """The median duration per key of the rollup `name`'s, from the summed buckets (within the bound above);
        None for a scope narrowed to both an owner and a source, which the buckets are not kept for."""
        cut = {(False, False): "", (True, False): "owner", (False, True): "source"}.get(
            (bool(self.scope.owner_id), bool(self.scope.source))
        )
        if cut is None:
            return None
        buckets = self.rows(name, ("key", "bucket"), cut=cut)
        per_key: dict[Any, dict[int, int]] = defaultdict(dict)
        for (key, bucket), row in buckets.items():
            if row["n"]:
                per_key[key][bucket] = row["n"]
        return {key: bucket_median(counts) for key, counts in per_key.items()}


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for measure in into:
        into[measure] += row[measure] or 0


def rollups_split(scope: Scope) -> Split | None:
    """The scope read from rollups, or None when they cannot answer it (a filter they do not hold, none run yet,
    counted under other settings): the report then runs its live queries."""
    if scope.campaign_id or segment_of(scope) is None:
        return None
    through = rolled_through()
    return Split(scope, through) if through is not None else None


def duration_bucket(seconds: float) -> int:
    """The log-scaled bucket of a duration: 0 under a second, +-(1 + floor(log_RATIO |seconds|)) otherwise."""
    if abs(seconds) < 1:
        return 0
    bucket = 1 + math.floor(math.log(abs(seconds)) / math.log(RATIO))
    return bucket if seconds > 0 else -bucket


def bucket_value(bucket: int) -> float:
    """The duration a bucket stands for: the geometric middle of its bounds."""
    if bucket == 0:
        return 0.0
    return math.copysign(RATIO ** (abs(bucket) - 0.5), bucket)


def bucket_median(counts: dict[int, int]) -> float:
    """The median of bucketed durations: the middle one's bucket (the two middle ones' mean for an even count)."""
    ordered = sorted(counts.items(), key=lambda item: bucket_value(item[0]))
    size = sum(counts.values())
    wanted = sorted({(size + 1) // 2, (size + 2) // 2})
    found, seen = [], 0
    for bucket, count in ordered:
        seen += count
        while wanted and wanted[0] <= seen:
            found.append(bucket_value(bucket))
            wanted.pop(0)
    return sum(found) / len(found)


def bucketed(rows: Iterable[dict]) -> list[dict]:
    """Rows {day, key, source, owner_id, seconds[, segment]} as counts per bucket in each cut: what DurationDay
    stores."""
    counts: dict[tuple, int] = defaultdict(int)
    for row in rows:
        if row["seconds"] is not None:
            bucket, segment = duration_bucket(float(row["seconds"])), row.get("segment", "")
            counts[(row["day"], row["key"], bucket, "", "", None, segment)] += 1
            counts[(row["day"], row["key"], bucket, "owner", "", row["owner_id"], segment)] += 1
            counts[(row["day"], row["key"], bucket, "source", row["source"], None, segment)] += 1
    names = ("day", "key", "bucket", "cut", "source", "owner_id", "segment")
    return [{**dict(zip(names, key, strict=True)), "n": n} for key, n in counts.items()]
