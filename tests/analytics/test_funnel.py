"""The funnel on leads with a known history: counts per step, conversion, median time between stages, won value."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.funnel import funnel_report
from analytics.reports import Scope
from crm.models import Lead, StageChange
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db

DAY = 86_400


def _at(days: float) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime(2026, 3, 2, 9, 0) + timedelta(days=days))


def _lead(*moves: tuple[int, float], lifecycle="lead", created_days=0.0, **extra) -> Lead:
    """A lead added on 2 March (plus `created_days`) that moved to each (stage position, days after adding)."""
    stage = default_stage(moves[-1][0]) if moves else default_stage(0)
    lead = LeadFactory(lifecycle=lifecycle, stage=stage, created_at=_at(created_days), **extra)
    previous = default_stage(0)
    for position, days in moves:
        to_stage = default_stage(position)
        StageChange.objects.create(
            lead=lead, from_stage=previous, to_stage=to_stage, created_at=_at(created_days + days)
        )
        previous = to_stage
    return lead


@pytest.fixture
def history(manager_mia):
    _lead(lifecycle="contact")  # a contact, never a lead
    _lead()  # a lead still in New
    _lead((1, 1))  # contacted after a day
    _lead((1, 2), (4, 4), (6, 5), deal_value=Decimal("5000"))  # won, skipping stages
    _lead((1, 1), (2, 3), (7, 4))  # lost after replying
    _lead((1, 3), (2, 7))  # replied
    _lead((6, 1), created_days=-40, deal_value=Decimal("900"))  # won, but added before the period
    return Scope.for_user(manager_mia, date(2026, 3, 1), date(2026, 3, 31))


def _rows(table) -> dict[str, dict]:
    return {row["step"]: row for row in table.rows}


def test_each_step_counts_the_leads_that_reached_it_or_further(history):
    funnel, _ = funnel_report(history)
    counts = {step: row["count"] for step, row in _rows(funnel).items()}
    assert counts == {
        "Added": 6,
        "Leads": 5,
        "New": 5,
        "Contacted": 4,
        "Replied": 3,
        "Meeting booked": 1,
        "Proposal sent": 1,
        "Negotiation": 1,
        "Won": 1,
    }


def test_conversion_is_from_the_previous_step_and_from_the_first(history):
    rows = _rows(funnel_report(history)[0])
    assert rows["Added"]["from_previous"] is None
    assert rows["Leads"]["from_previous"] == pytest.approx(5 / 6)
    assert rows["Replied"]["from_previous"] == pytest.approx(3 / 4)
    assert rows["Won"]["from_first"] == pytest.approx(1 / 6)


def test_the_median_time_is_from_the_previous_move_to_the_move_into_the_stage(history):
    rows = _rows(funnel_report(history)[0])
    # Into Contacted after 1, 2, 1 and 3 days: the middle two average 1.5 days.
    assert rows["Contacted"]["median_time"] == pytest.approx(1.5 * DAY)
    # Into Replied 2 days after Contacted (1 -> 3) and 4 days after it (3 -> 7).
    assert rows["Replied"]["median_time"] == pytest.approx(3 * DAY)
    assert rows["Proposal sent"]["median_time"] == pytest.approx(2 * DAY)
    assert rows["Won"]["median_time"] == pytest.approx(1 * DAY)
    assert rows["New"]["median_time"] is None


def test_won_value_and_win_rate_count_the_periods_leads_only(history):
    outcome = funnel_report(history)[1].rows[0]
    assert outcome["won"] == 1
    assert outcome["won_value"] == Decimal("5000")
    assert outcome["lost"] == 1
    assert outcome["win_rate"] == pytest.approx(0.5)


def test_filters_narrow_the_funnel(history, manager_mia):
    LeadFactory(source="Webinar", lifecycle="lead", created_at=_at(1))
    scope = Scope.for_user(manager_mia, date(2026, 3, 1), date(2026, 3, 31), source="Webinar")
    assert _rows(funnel_report(scope)[0])["Added"]["count"] == 1
