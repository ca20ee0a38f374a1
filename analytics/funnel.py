"""The funnel: how far the leads added in the period went (contacts, leads, each stage, won), and how fast."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, IntegerField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from analytics.reports import Chart, Column, Scope, Table, report
from analytics.rollups import Split, rollups_split
from analytics.scoping import leads_added
from analytics.sql import median_by_group, seconds_between
from crm.models import Lead, Pipeline, Stage, StageChange

COHORT_NOTE = (
    "Added: leads and contacts added in the period (created between its first and last day), followed to today: "
    "a lead counts at a stage when it is there now or was moved there, or further, at any time (a lost deal counts "
    "up to the furthest stage it reached). Stages are the default pipeline's and count leads, not contacts. The "
    "median time is from the lead's previous move (or from being added) to its move into the stage."
)


def _furthest_position(pipeline: Pipeline) -> Greatest:
    """The furthest stage position a lead reached in the pipeline: its history's and its current stage's (lost
    stages excluded, -1 for none)."""
    moved_to = (
        StageChange.objects.filter(lead_id=OuterRef("pk"), to_stage__pipeline=pipeline)
        .exclude(to_stage__kind=Stage.Kind.LOST)
        .values("lead_id")
        .annotate(furthest=Max("to_stage__position"))
        .values("furthest")
    )
    current = Subquery(
        Stage.objects.filter(pk=OuterRef("stage_id"), pipeline=pipeline)
        .exclude(kind=Stage.Kind.LOST)
        .values("position")
    )
    return Greatest(
        Coalesce(Subquery(moved_to, output_field=IntegerField()), Value(-1)),
        Coalesce(current, Value(-1)),
        output_field=IntegerField(),
    )


def stage_durations_sql(leads: QuerySet[Lead], **columns: Any) -> tuple[str, list]:
    """SQL selecting `grp` (the stage moved into), `value` (seconds from the lead's previous move, or its creation,
    to the move) and the lead's `columns` (name -> expression), for every move of the leads, with its parameters."""
    # The cohort as a derived table (no ordering): the planner walks each lead's changes through their lead index.
    cohort_sql, params = leads.order_by().values("created_at", lead_pk=F("pk"), **columns).query.sql_with_params()
    change = StageChange._meta.db_table
    # Per lead and its columns: a lead joined once per list it is in (the rollups' segments) has one history in each.
    partition = ", ".join(["sc.lead_id", *(f"l.{name}" for name in columns)])
    window = f"PARTITION BY {partition} ORDER BY sc.created_at, sc.id"
    previous = f"COALESCE(LAG(sc.created_at) OVER ({window}), l.created_at)"
    selected = "".join(f", l.{name} AS {name}" for name in columns)
    values_sql = (
        f"SELECT sc.to_stage_id AS grp, {seconds_between('sc.created_at', previous)} AS value{selected} "  # noqa: S608
        f"FROM ({cohort_sql}) l JOIN {change} sc ON sc.lead_id = l.lead_pk"
    )
    return values_sql, list(params)


def stage_medians(leads: QuerySet[Lead]) -> dict[int, float]:
    """Median seconds from a lead's previous move (or its creation) to each move into a stage, per stage id."""
    return median_by_group(*stage_durations_sql(leads))


def default_pipeline() -> tuple[Pipeline | None, list[Stage]]:
    """The pipeline the funnel follows and its stages but the lost ones."""
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    return pipeline, list(pipeline.stages.exclude(kind=Stage.Kind.LOST)) if pipeline else []


def furthest_groups(leads: QuerySet[Lead], pipeline: Pipeline | None, *fields: str, **expressions: Any) -> QuerySet:
    """The leads grouped by (lifecycle, stage kind, furthest position reached) and the callers' `fields` and
    `expressions` - a few dozen groups: the furthest-position subquery then runs once per lead, where a conditional
    count per stage would repeat it for every stage. Callers add the counts."""
    furthest = _furthest_position(pipeline) if pipeline else Value(-1, output_field=IntegerField())
    grouped = leads.annotate(furthest=furthest).values("lifecycle", "stage__kind", "furthest", *fields, **expressions)
    return grouped.order_by()


def funnel_figures(groups: Iterable[dict], stages: list[Stage]) -> dict[str, Any]:
    """Added, leads, reached-each-stage, won (and value) and lost counts of the cohort, summed from its groups
    ({is_lead, stage_kind, furthest, n, value})."""
    figures: dict[str, Any] = {"added": 0, "leads": 0, "won": 0, "won_value": Decimal("0"), "lost": 0}
    figures |= {f"stage_{stage.pk}": 0 for stage in stages}
    for group in groups:
        figures["added"] += group["n"]
        figures["leads"] += group["n"] if group["is_lead"] else 0
        if group["stage_kind"] == Stage.Kind.WON:
            figures["won"] += group["n"]
            figures["won_value"] += group["value"] or 0
        figures["lost"] += group["n"] if group["stage_kind"] == Stage.Kind.LOST else 0
        for stage in stages:
            if group["is_lead"] and group["furthest"] >= stage.position:
                figures[f"stage_{stage.pk}"] += group["n"]
    return figures


def funnel_counts(leads: QuerySet[Lead], pipeline: Pipeline | None, stages: list[Stage]) -> dict[str, Any]:
    """The funnel's counts of the cohort, in one grouped query."""
    groups = furthest_groups(leads, pipeline).annotate(n=Count("pk"), value=Sum("deal_value"))
    return funnel_figures(
        (
            {**group, "is_lead": group["lifecycle"] == Lead.Lifecycle.LEAD, "stage_kind": group["stage__kind"]}
            for group in groups
        ),
        stages,
    )


def rolled_up(split: Split, stages: list[Stage]) -> tuple[dict[str, Any], dict[int, float]]:
    """The funnel's counts and medians from the rollups."""
    groups = split.rows("cohort", ("is_lead", "stage_kind", "furthest"))
    figures = funnel_figures(
        ({"is_lead": is_lead, "stage_kind": kind, "furthest": furthest, "n": row["added"], "value": row["value"]}
         for (is_lead, kind, furthest), row in groups.items()),
        stages,
    )  # fmt: skip
    medians = split.medians("stage_durations")
    return figures, stage_medians(leads_added(split.scope)) if medians is None else medians


def _rate(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


@report("funnel", "Funnel", order=10)
def funnel_report(scope: Scope) -> list[Table]:
    pipeline, stages = default_pipeline()
    split = rollups_split(scope)
    if split is not None:
        figures, medians = rolled_up(split, stages)
    else:
        leads = leads_added(scope)
        figures = funnel_counts(leads, pipeline, stages)
        medians = stage_medians(leads) if stages else {}

    steps = [("Added", figures["added"], None), ("Leads", figures["leads"], None)]
    steps += [(stage.name, figures[f"stage_{stage.pk}"], medians.get(stage.pk)) for stage in stages]
    rows, previous = [], None
    for name, count, median in steps:
        rows.append(
            {
                "step": name,
                "count": count,
                "from_previous": _rate(count, previous) if previous is not None else None,
                "from_first": _rate(count, figures["added"]),
                "median_time": median,
            }
        )
        previous = count
    funnel = Table(
        slug="funnel",
        title="Funnel",
        columns=[
            Column("step", "Step"),
            Column("count", "Leads", "int"),
            Column("from_previous", "From previous step", "percent"),
            Column("from_first", "From added", "percent"),
            Column("median_time", "Median time from previous move", "duration"),
        ],
        rows=rows,
        chart=Chart(kind="funnel", x="step", series=("count",)),
        note=COHORT_NOTE,
    )
    outcome = Table(
        slug="won",
        title="Won and lost",
        columns=[
            Column("won", "Won deals", "int"),
            Column("won_value", "Won deal value", "money"),
            Column("average", "Average won deal", "money"),
            Column("lost", "Lost deals", "int"),
            Column("win_rate", "Win rate (won of won and lost)", "percent"),
        ],
        rows=[
            {
                "won": figures["won"],
                "won_value": figures["won_value"] or 0,
                "average": (figures["won_value"] / figures["won"]) if figures["won"] and figures["won_value"] else None,
                "lost": figures["lost"],
                "win_rate": _rate(figures["won"], figures["won"] + figures["lost"]),
            }
        ],
        note="Of the leads added in the period, those in a won or lost stage today; value is the expected deal value.",
    )
    return [funnel, outcome]
