"""What `manage.py seed_demo` shows: the demo seeded once for this module and read by each test."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from crm import demo_data as demo
from crm.demo_data_quality import TYPED_AGAIN
from crm.models import (
    Activity,
    Company,
    DuplicateCandidate,
    ImportJob,
    Lead,
    LeadList,
    Note,
    SiteSettings,
    Stage,
    StageChange,
    Tag,
    Task,
    User,
)
from crm.selectors import task_buckets
from crm.services.pipelines import pipeline_default
from leadflow.roles import Role, role_of
from tests.crm.test_seed_demo import seed

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> str:
    """The demo seeded once for the tests that only read it (what seed_demo printed); each test runs in a savepoint
    of this module's transaction, rolled back at its end, and the demo itself is rolled back after the last."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


def test_it_creates_about_30_companies_and_400_realistic_leads_in_every_stage(seeded):
    output = seeded
    # The demo's import and its people typed in twice are tested below; these are the hand-made demo.
    hand_made = Lead.objects.filter(import_job__isnull=True).exclude(source=TYPED_AGAIN)

    assert 28 <= Company.objects.filter(domain__in=[c.domain for c in demo.COMPANIES]).count() <= 32
    assert 380 <= hand_made.count() <= 420
    assert f"{hand_made.count()} leads" in output
    per_stage = {
        stage.name: stage.leads.filter(import_job__isnull=True).count() for stage in pipeline_default().stages.all()
    }
    assert all(per_stage.values()), per_stage
    assert per_stage["New"] > per_stage["Replied"] > per_stage["Negotiation"]
    assert per_stage["Won"] < per_stage["Contacted"] and per_stage["Lost"] < per_stage["Contacted"]

    leads = list(hand_made.select_related("company", "stage"))
    assert len({lead.email for lead in leads}) == len(leads)
    for lead in leads:
        assert lead.email.endswith("@" + lead.company.domain)
        assert lead.linkedin_url.startswith("https://www.linkedin.com/in/")
        assert lead.title and lead.location and lead.time_zone
        assert not lead.phone or (lead.phone.startswith("+") and lead.phone[1:].isdigit())
        early = lead.stage.name in {"New", "Contacted"}
        assert lead.lifecycle == (Lead.Lifecycle.CONTACT if early else Lead.Lifecycle.LEAD)
        assert (lead.deal_value is not None) == (lead.stage.name not in {"New", "Contacted", "Replied"})
        # Scored by crm.scoring with the demo's thresholds (crm.demo_scoring: MQL 45, SQL 70).
        low, high = {"hot": (70, 100), "warm": (45, 69), "cold": (0, 44)}[lead.grade]
        assert low <= lead.score <= high
    assert {lead.source for lead in leads} == {
        "csv_import",
        "linkedin",
        "google_maps",
        "website",
        "meta_ads",
        "referral",
        "manual",
    }
    assert {lead.grade for lead in leads} == {"hot", "warm", "cold"}
    countries = {company.location.rsplit(", ", 1)[-1] for company in Company.objects.all()}
    assert {"United States", "United Kingdom", "India", "Germany"} <= countries
    assert Lead.objects.filter(do_not_contact=True).exists()
    assert Lead.objects.filter(tags__name="decision-maker").exists()


def test_it_creates_the_four_demo_users_with_their_roles(seeded):
    output = seeded

    expected = {
        "mia@demo.leadflow": Role.MANAGER,
        "alice@demo.leadflow": Role.REP,
        "bob@demo.leadflow": Role.REP,
        "vic@demo.leadflow": Role.VIEWER,
    }
    for email, role in expected.items():
        user = User.objects.get(email=email)
        assert role_of(user) == role
        assert user.is_staff == (role == Role.MANAGER)
        assert authenticate(email=email, password="leadflow-demo") == user
        assert email in output
    owners = set(Lead.objects.values_list("owner__email", flat=True))
    assert owners == {"mia@demo.leadflow", "alice@demo.leadflow", "bob@demo.leadflow", None}


def test_it_records_stage_history_over_the_last_60_days(seeded):
    first = pipeline_default().stages.first()
    moved = Lead.objects.exclude(stage=first)
    assert moved.exists()
    for lead in moved.prefetch_related("stage_changes", "activities"):
        history = sorted(lead.stage_changes.all(), key=lambda change: change.created_at)
        assert history[0].from_stage_id is None and history[0].to_stage_id == first.pk
        assert history[-1].to_stage_id == lead.stage_id
        assert all(earlier.to_stage_id == later.from_stage_id for earlier, later in pairwise(history))
        stage_activities = [a for a in lead.activities.all() if a.kind == Activity.Kind.STAGE]
        assert len(stage_activities) == len(history) - 1
    won = Lead.objects.filter(stage__kind=Stage.Kind.WON).first()
    assert won.stage_changes.count() == pipeline_default().stages.filter(kind=Stage.Kind.OPEN).count() + 1

    now = timezone.now()
    oldest = Activity.objects.order_by("created_at").first().created_at
    assert now - timedelta(days=61) < oldest < now - timedelta(days=30)
    assert not Activity.objects.filter(created_at__gt=now).exists()
    assert not StageChange.objects.filter(created_at__gt=now).exists()


def test_it_adds_notes_tasks_and_lists(seeded):
    leads_with_notes = Lead.objects.filter(notes__isnull=False).distinct().count()
    assert 0.25 < leads_with_notes / Lead.objects.count() < 0.45
    assert Note.objects.filter(tags__isnull=False).exists()
    assert Task.objects.filter(done=True, done_at__isnull=False).exists()

    buckets = task_buckets(User.objects.get(email="alice@demo.leadflow"))
    assert buckets.overdue and buckets.today and buckets.upcoming

    lists = {lead_list.name: lead_list for lead_list in LeadList.objects.all()}
    assert 4 <= len(lists) <= 5
    assert lists["Q3 webinar attendees"].folder == "Events"
    assert all(lead_list.memberships.exists() for lead_list in lists.values())
    fintech = lists["Fintech decision makers"].members.select_related("company")
    assert all(lead.company.industry in {"Fintech", "Financial Services"} for lead in fintech)


def test_it_shows_a_site_currency_peoples_time_zones_and_a_list_a_rep_owns(seeded):
    assert (SiteSettings.objects.get().currency, SiteSettings.objects.get().time_zone) == ("EUR", "UTC")
    zones = dict(User.objects.filter(email__endswith="@demo.leadflow").values_list("email", "time_zone"))
    assert zones == {
        "mia@demo.leadflow": "Europe/London",
        "alice@demo.leadflow": "",
        "bob@demo.leadflow": "Asia/Kolkata",
        "vic@demo.leadflow": "America/New_York",
    }
    booth = LeadList.objects.get(name="London Sales Summit booth scans")
    assert booth.created_by.email == "alice@demo.leadflow" and booth.memberships.count() == 25


def test_it_does_not_duplicate_when_run_twice(seeded):
    models = [User, Company, Lead, StageChange, Activity, Note, Task, LeadList, Tag]
    before = {model.__name__: model.objects.count() for model in models}

    output = seed()

    assert {model.__name__: model.objects.count() for model in models} == before
    assert "already there" in output


def test_it_shows_an_import_with_filled_duplicates_and_rejected_rows(seeded):
    output = seeded
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE and job.created_by.email == "mia@demo.leadflow"
    assert (job.rows_imported, job.rows_updated, job.rows_skipped, job.rows_rejected) == (28, 6, 1, 2)
    assert job.rejections.filter(kind="rejected").count() == 2
    skipped = job.rejections.get(kind="skipped")
    assert skipped.lead is not None and "nothing new" in skipped.reason
    assert f"{job.rows_imported} imported" in output
    assert Lead.objects.filter(tags__name="cologne-2024").count() == 34
    # Visitors from abroad: numbers read in the country each row names, a second address kept, "N/A" left empty.
    phones = dict(Lead.objects.filter(import_job=job, last_name__in=["de Vries", "Lindqvist", "Volkova"])
                  .values_list("last_name", "phone"))  # fmt: skip
    assert phones == {"de Vries": "+31207946095", "Lindqvist": "+46812345678", "Volkova": "+74951234567"}
    irina = Lead.objects.get(last_name="Volkova")
    assert irina.other_emails == ["irina.private@mail.example"] and irina.title == ""
    assert Lead.objects.filter(import_job=job).exclude(other_phones=[]).exists()
    # A colleague reading the same inbox is another person, listed for a look.
    vera = Lead.objects.get(first_name="Vera")
    assert DuplicateCandidate.objects.filter(lead_b=vera, reason="Same email, different first names").exists()


def test_it_leaves_duplicates_for_the_duplicates_page(seeded):
    output = seeded
    reasons = set(DuplicateCandidate.objects.filter(status="open").values_list("reason", flat=True))
    assert {"Same email", "Same LinkedIn profile"} <= reasons
    assert any(reason.startswith("Similar name at ") for reason in reasons)
    assert f"{DuplicateCandidate.objects.count()} suspected duplicate pairs" in output


def test_it_shows_enrichment_with_sources_confidence_and_a_do_not_call_number(seeded):
    from enrichment.models import EnrichmentJob, FieldSource

    output = seeded
    assert "attributed demo values" in output
    assert set(EnrichmentJob.objects.values_list("status", flat=True)) == {"done"}
    assert {"phone", "finder", "website"} <= set(FieldSource.objects.values_list("source", flat=True))
    phone_row = FieldSource.objects.filter(source="phone", field="phone").first()
    assert phone_row.confidence > 0 and phone_row.status and phone_row.applied
    assert FieldSource.objects.filter(source="phone", status="do-not-call").exists()
    assert FieldSource.objects.filter(source="finder", status="valid", detail__demo=True).exists()


def test_it_shows_capture_sources_campaigns_runs_and_ad_leads(seeded):
    from scraping.models import AdDelivery, Campaign, ScrapeRun, Source

    assert "campaigns on schedules" in seeded
    assert Source.objects.count() == 6 and Campaign.objects.count() == 4
    assert Campaign.objects.exclude(next_run_at=None).count() == 4
    assert ScrapeRun.objects.filter(status="failed").exists() and ScrapeRun.objects.filter(status="done").exists()
    assert AdDelivery.objects.filter(lead__isnull=False).exists()


def test_it_gives_leads_a_mix_of_lawful_bases_each_with_its_source_and_time(seeded):
    hand_made = Lead.objects.filter(import_job__isnull=True).exclude(source=TYPED_AGAIN)
    bases = set(hand_made.values_list("lawful_basis", flat=True))
    assert bases == {"", "consent", "legitimate_interest", "contract"}
    assert "lawful bases:" in seeded and "unknown" in seeded
    for lead in hand_made.exclude(lawful_basis="")[:50]:
        assert lead.lawful_basis_source and lead.lawful_basis_at == lead.created_at
        line = lead.activities.get(kind=Activity.Kind.LAWFUL_BASIS)
        assert line.created_at == lead.created_at and lead.lawful_basis_source in line.summary
    assert hand_made.filter(source="meta_ads", lawful_basis_source="Meta lead form").exists()
