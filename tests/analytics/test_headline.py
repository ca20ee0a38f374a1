"""Headline figures: this period against the one before, on the Overview report and the dashboard's panel."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.headline import headline_figures, overview_report
from analytics.reports import Scope, site_today
from crm.models import Activity, StageChange
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db

WON, MEETING = 6, 3


def _on(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def two_weeks(manager_mia, rep_alice):
    """7-13 April against 31 March - 6 April."""
    this_week, last_week = date(2026, 4, 8), date(2026, 4, 1)
    for _ in range(3):
        LeadFactory(created_at=_on(this_week))
    LeadFactory(created_at=_on(last_week))
    replied = LeadFactory(created_at=_on(last_week), owner=rep_alice, deal_value=Decimal("2500"))
    Activity.objects.create(lead=replied, kind=Activity.Kind.REPLIED, summary="Re", created_at=_on(this_week))
    Activity.objects.create(lead=replied, kind=Activity.Kind.REPLIED, summary="Re", created_at=_on(this_week, 15))
    Activity.objects.create(
        lead=replied, kind=Activity.Kind.MEETING_BOOKED, summary="Booked", created_at=_on(this_week)
    )
    StageChange.objects.create(lead=replied, to_stage=default_stage(MEETING), created_at=_on(this_week))
    StageChange.objects.create(lead=replied, to_stage=default_stage(WON), created_at=_on(this_week, 16))
    for lead in (replied, LeadFactory(created_at=_on(last_week))):
        Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_SENT, summary="Sent", created_at=_on(this_week, 9))
    return Scope.for_user(manager_mia, date(2026, 4, 7), date(2026, 4, 13))


def _figures(scope):
    return {figure.key: figure for figure in headline_figures(scope)}


def test_each_figure_counts_this_period_and_the_one_before(two_weeks):
    figures = _figures(two_weeks)
    assert (figures["new_leads"].now, figures["new_leads"].before) == (3, 3)
    assert (figures["replies"].now, figures["replies"].before) == (2, 0)
    assert figures["meetings"].now == 1  # a Meeting booked line and a move into the stage: one lead, once
    assert (figures["won_deals"].now, figures["won_value"].now) == (1, Decimal("2500"))
    assert figures["reply_rate"].now == pytest.approx(0.5)
    assert figures["new_leads"].change == 0.0
    assert figures["replies"].change is None


def test_a_reps_figures_are_their_own(two_weeks, rep_alice):
    scope = Scope.for_user(rep_alice, two_weeks.start, two_weeks.end)
    figures = _figures(scope)
    assert figures["new_leads"].now == 0 and figures["replies"].now == 2
    assert figures["reply_rate"].now == pytest.approx(1.0)


def test_the_overview_draws_every_day_of_the_period(two_weeks):
    headline, daily = overview_report(two_weeks)
    assert [row["day"] for row in daily.rows][:2] == ["2026-04-07", "2026-04-08"]
    assert len(daily.rows) == 7
    assert daily.rows[1] == {"day": "2026-04-08", "added": 3, "replies": 2}
    assert headline.rows[4]["_kinds"]["now"] == "money"


def test_the_dashboard_loads_the_panel_which_shows_the_trends(client, manager_mia):
    today = site_today()
    LeadFactory(created_at=timezone.now())
    LeadFactory(created_at=_on(today - timedelta(days=40)))
    LeadFactory(created_at=_on(today - timedelta(days=45)))
    client.force_login(manager_mia)
    dashboard = client.get(reverse("crm:dashboard")).content.decode()
    assert f'hx-get="{reverse("analytics:headline")}"' in dashboard
    panel = client.get(reverse("analytics:headline")).content.decode()
    assert "Last 30 days" in panel
    assert "▼ -50.0% on the 30 days before (2)" in panel
