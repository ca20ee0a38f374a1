"""Sources and campaigns on leads with known facts: counts, qualified, replies, meetings, won, cost and ROI."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.costs import spend_save
from analytics.reports import Scope
from analytics.sources import sources_report
from crm.models import Activity, ImportJob, ScoringSettings, StageChange
from scraping.models import Campaign, ScrapeRun, Source
from tests.factories import LeadFactory, LeadListFactory, default_stage

pytestmark = pytest.mark.django_db

IN_APRIL = timezone.make_aware(datetime(2026, 4, 10, 12, 0))
WON, MEETING = 6, 3


@pytest.fixture
def campaign():
    source = Source.objects.create(kind="website", name="Directories")
    return Campaign.objects.create(name="Berlin dentists", source=source)


@pytest.fixture
def april(manager_mia, rep_alice, campaign):
    ScoringSettings.objects.create(pk=ScoringSettings.SINGLETON_PK, mql_threshold=50, sql_threshold=75)
    job = ImportJob.objects.create(original_name="run.csv")
    ScrapeRun.objects.create(campaign=campaign).import_jobs.add(job)

    def lead(source, **extra):
        return LeadFactory(source=source, created_at=IN_APRIL, **extra)

    replied = lead("Webinar", lifecycle="lead", score=80, owner=rep_alice)
    Activity.objects.create(lead=replied, kind=Activity.Kind.REPLIED, summary="Replied")
    Activity.objects.create(lead=replied, kind=Activity.Kind.REPLIED, summary="Replied again")
    booked = lead("Webinar", lifecycle="lead", score=60)
    StageChange.objects.create(lead=booked, from_stage=default_stage(0), to_stage=default_stage(MEETING))
    lead("Webinar", lifecycle="lead", score=55, stage=default_stage(WON), deal_value=Decimal("4000"))
    lead("Webinar", score=10)
    lead("capture", import_job=job, score=90, stage=default_stage(WON), deal_value=Decimal("1000"))
    lead("capture", import_job=job)
    LeadFactory(source="Webinar", created_at=timezone.make_aware(datetime(2026, 3, 31, 23, 0)))  # March: not counted
    spend_save(actor=manager_mia, month=date(2026, 4, 1), amount=Decimal("1000"), source="Webinar")
    spend_save(actor=manager_mia, month=date(2026, 4, 1), amount=Decimal("500"), campaign=campaign)
    return Scope.for_user(manager_mia, date(2026, 4, 1), date(2026, 4, 30))


def _by(table, key):
    return {row[key]: row for row in table.rows}


def test_each_source_counts_its_leads_and_what_became_of_them(april):
    webinar = _by(sources_report(april)[0], "source")["Webinar"]
    assert {key: webinar[key] for key in ("added", "leads", "mql", "sql", "replied", "met", "won", "won_value")} == {
        "added": 4,
        "leads": 3,
        "mql": 3,
        "sql": 1,
        "replied": 1,
        "met": 1,
        "won": 1,
        "won_value": Decimal("4000"),
    }


def test_cost_per_lead_per_qualified_lead_and_roi_where_a_cost_was_entered(april):
    rows = _by(sources_report(april)[0], "source")
    webinar = rows["Webinar"]
    assert webinar["cost"] == Decimal("1000.00")
    assert webinar["per_lead"] == Decimal("250.00")
    assert webinar["per_qualified"] == Decimal("333.33")
    assert webinar["roi"] == pytest.approx(3.0)
    assert rows["capture"]["cost"] is None and rows["capture"]["roi"] is None


def test_each_capture_campaign_counts_the_leads_its_runs_created(april):
    dentists = _by(sources_report(april)[1], "campaign")["Berlin dentists"]
    assert (dentists["added"], dentists["won"], dentists["won_value"]) == (2, 1, Decimal("1000"))
    assert dentists["cost"] == Decimal("500.00")
    assert dentists["roi"] == pytest.approx(1.0)


def test_a_half_month_counts_half_the_months_spend(april, manager_mia):
    scope = Scope.for_user(manager_mia, date(2026, 4, 1), date(2026, 4, 15))
    assert _by(sources_report(scope)[0], "source")["Webinar"]["cost"] == Decimal("500.00")


def test_costs_are_left_out_when_narrowed_to_an_owner_or_a_list(april, manager_mia, rep_alice):
    for filters in ({"owner_id": rep_alice.pk}, {"list_id": LeadListFactory().pk}):
        scope = Scope.for_user(manager_mia, date(2026, 4, 1), date(2026, 4, 30), **filters)
        table = sources_report(scope)[0]
        assert all(row["cost"] is None for row in table.rows)
        assert "Costs are left out" in table.note


def test_a_rep_sees_their_own_leads_per_source(april, rep_alice):
    scope = Scope.for_user(rep_alice, date(2026, 4, 1), date(2026, 4, 30))
    assert [(row["source"], row["added"]) for row in sources_report(scope)[0].rows] == [("Webinar", 1)]


def test_the_campaign_filter_keeps_that_campaigns_leads(april, manager_mia, campaign):
    scope = Scope.for_user(manager_mia, date(2026, 4, 1), date(2026, 4, 30), campaign_id=campaign.pk)
    assert [(row["source"], row["added"]) for row in sources_report(scope)[0].rows] == [("capture", 2)]
