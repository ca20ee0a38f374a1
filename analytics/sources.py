"""Sources and campaigns: what each brought in, how much of it qualified, replied, met and was won, and, where a
cost was entered (analytics.costs), what a lead, a qualified lead and the return on it cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from analytics.costs import RangeCosts, costs_in_range
from analytics.measures import met, qualified_thresholds, replied, won
from analytics.reports import Chart, Column, Scope, Table, report
from analytics.rollups import Split, rollups_split
from analytics.scoping import leads_added
from crm.models import Lead, Stage
from scraping.models import Campaign

NOTE = (
    "Leads and contacts added in the period, by their Source field, followed to today: qualified means a score at "
    "or above the MQL (or SQL) threshold now; replied and met mean a reply or a booked meeting at any time; won "
    "means in a won stage now. Cost is the period's share of the spend entered on Costs (a month's spend counts "
    "for the days of it in the period); ROI = (won value − cost) / cost."
)
NO_COSTS_NOTE = " Costs are left out while the figures are narrowed to an owner, a list or a sequence: spend is not."


def _figures(leads: QuerySet[Lead], *group: str, **named: F) -> QuerySet:
    """The counts every row of these tables has, grouped by `group` fields and `named` expressions."""
    mql, sql = qualified_thresholds()
    return (
        leads.values(*group, **named)
        .annotate(
            added=Count("pk"),
            leads=Count("pk", filter=Q(lifecycle=Lead.Lifecycle.LEAD)),
            mql=Count("pk", filter=Q(score__gte=mql)),
            sql=Count("pk", filter=Q(score__gte=sql)),
            replied=Count("pk", filter=replied()),
            met=Count("pk", filter=met()),
            won=Count("pk", filter=won()),
            won_value=Sum("deal_value", filter=won()),
        )
        .order_by("-added")
    )


def _ratio(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.01"))


def _with_costs(row: dict[str, Any], cost: Decimal | None) -> dict[str, Any]:
    row["won_value"] = row["won_value"] or Decimal("0")
    row["cost"] = cost
    row["per_lead"] = _ratio(cost, row["added"])
    row["per_qualified"] = _ratio(cost, row["mql"])
    row["roi"] = float((row["won_value"] - cost) / cost) if cost else None
    return row


COLUMNS = [
    Column("added", "Added", "int"),
    Column("leads", "Leads", "int"),
    Column("mql", "MQL", "int"),
    Column("sql", "SQL", "int"),
    Column("replied", "Replied", "int"),
    Column("met", "Meetings", "int"),
    Column("won", "Won", "int"),
    Column("won_value", "Won value", "money"),
    Column("cost", "Cost", "money"),
    Column("per_lead", "Cost per lead", "money"),
    Column("per_qualified", "Cost per MQL", "money"),
    Column("roi", "ROI", "percent"),
]
SERIES = ("added", "mql", "won")


FIGURES = ("added", "leads", "mql", "sql", "replied", "met", "won", "won_value")


def _rolled_up(split: Split) -> tuple[list[dict], list[dict]]:
    """The rows of both tables from the rollups: per (source or campaign, is lead, stage kind) groups, summed."""
    tables: tuple[dict, dict] = ({}, {})
    for table, name, key in ((tables[0], "cohort", "source"), (tables[1], "campaign_cohort", "campaign_id")):
        for (value, is_lead, kind), group in split.rows(name, (key, "is_lead", "stage_kind")).items():
            row = table.setdefault(value, dict.fromkeys(FIGURES, 0))
            for figure in ("added", "mql", "sql", "replied", "met"):
                row[figure] += group[figure]
            row["leads"] += group["added"] if is_lead else 0
            if kind == Stage.Kind.WON:
                row["won"] += group["added"]
                row["won_value"] += group["value"] or 0
    names = dict(Campaign.objects.filter(pk__in=tables[1]).values_list("pk", "name"))
    by_source = [{"source": source, **row} for source, row in tables[0].items() if row["added"]]
    by_campaign = [
        {"campaign_id": pk, "campaign": names.get(pk), **row} for pk, row in tables[1].items() if row["added"]
    ]
    return sorted(by_source, key=lambda row: -row["added"]), sorted(by_campaign, key=lambda row: -row["added"])


@report("sources", "Sources", order=20)
def sources_report(scope: Scope) -> list[Table]:
    leads = leads_added(scope)
    split = rollups_split(scope)
    if split is not None:
        source_figures, campaign_figures = _rolled_up(split)
    else:
        source_figures = list(_figures(leads, "source"))
        campaign_figures = list(
            _figures(
                leads.filter(import_job__scrape_runs__isnull=False),
                campaign_id=F("import_job__scrape_runs__campaign_id"),
                campaign=F("import_job__scrape_runs__campaign__name"),
            )
        )
    # Spend is per source and campaign, not per person or list: it matches the figures only without those filters.
    costs_apply = not (scope.owner_id or scope.list_id or scope.sequence_id)
    costs = (
        costs_in_range(scope.start, scope.end, source=scope.source, campaign_id=scope.campaign_id)
        if costs_apply
        else RangeCosts()
    )
    source_costs = costs.by_source if not scope.campaign_id else {}
    rows = [_with_costs(row, source_costs.get(row["source"])) for row in source_figures]
    for row in rows:
        row["source"] = row["source"] or "(none)"
    campaign_rows = [_with_costs(row, costs.by_campaign.get(row["campaign_id"])) for row in campaign_figures]
    note = NOTE if costs_apply else NOTE + NO_COSTS_NOTE
    return [
        Table(
            slug="sources",
            title="By source",
            columns=[Column("source", "Source"), *COLUMNS],
            rows=rows,
            chart=Chart(kind="bar", x="source", series=SERIES),
            note=note,
        ),
        Table(
            slug="campaigns",
            title="By capture campaign",
            columns=[Column("campaign", "Campaign"), *COLUMNS],
            rows=[{key: value for key, value in row.items() if key != "campaign_id"} for row in campaign_rows],
            chart=Chart(kind="bar", x="campaign", series=SERIES),
            note="Leads a capture campaign's runs created, added in the period; cost from spend entered for the "
            "campaign.",
        ),
    ]
