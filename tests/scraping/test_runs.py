"""Campaign runs end to end: a campaign fetches from a source (here Apify's stand-in) and its rows become leads through
the import's own pipeline, with counts, duplicates, a cursor, round-robin owners, retries and no overlap."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_q.models import Schedule

from crm.models import Lead
from scraping.models import Campaign, ScrapeRun, Source
from scraping.runs import RunRefused, campaigns_run_due, runs_requeue_stalled, scrape_run_execute, scrape_run_start
from scraping.timing import schedule_clean, schedule_next
from tests.factories import LeadFactory, LeadListFactory
from tests.fakes.apify_server import TOKEN, ApifyStandIn

MAPS = "compass/crawler-google-places"
pytestmark = pytest.mark.django_db


@pytest.fixture
def apify(httpserver, local_stand_ins, slept) -> ApifyStandIn:
    local_stand_ins.CAPTURE_WAIT_SECONDS = 60
    local_stand_ins.HTTP_RETRY_AFTER_MAX = 0.01
    local_stand_ins.APIFY_TOKEN = TOKEN
    stand_in = ApifyStandIn(httpserver)
    local_stand_ins.APIFY_BASE_URL = stand_in.url
    return stand_in


@pytest.fixture
def plumbers(apify, manager_mia) -> Campaign:
    source = Source.objects.create(kind="apify", name="Apify")
    return Campaign.objects.create(
        name="Plumbers in Leeds",
        source=source,
        target={"actor": MAPS},
        lead_list=LeadListFactory(name="Leeds plumbers"),
        owner=manager_mia,
        created_by=manager_mia,
        source_tag="google_maps",
    )


def _run(campaign: Campaign, actor=None) -> ScrapeRun:
    run = scrape_run_start(campaign=campaign, actor=actor, queue=False)
    scrape_run_execute(run.pk)
    run.refresh_from_db()
    return run


def test_a_run_turns_the_places_into_leads_through_the_import(apify, plumbers, manager_mia):
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    run = _run(plumbers, manager_mia)
    assert run.status == "done" and run.rows_fetched >= 2 and run.leads_created == run.rows_fetched
    leads = Lead.objects.filter(import_job__in=run.import_jobs.all())
    first = leads.get(company__name="Leeds Plumbing & Heating Ltd")
    assert first.phone == "+441134960123" and first.source == "google_maps" and first.lifecycle == "contact"
    assert first.custom_fields["Category"] == "Plumber"
    assert set(first.lists.values_list("name", flat=True)) == {"Leeds plumbers"}
    assert first.owner == manager_mia
    assert run.cursor == {"run_id": "run-1"} and run.raw_expires_at is not None


def test_the_next_run_fetches_only_what_is_new(apify, plumbers):
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    _run(plumbers)
    again = _run(plumbers)
    assert again.status == "done" and again.rows_fetched == 0 and not again.import_jobs.exists()


def test_duplicates_of_existing_leads_are_counted_not_created_twice(apify, plumbers):
    LeadFactory(phone="+441134960123", first_name="", last_name="", email="", company=None)
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    run = _run(plumbers)
    assert run.leads_created + run.leads_updated + run.leads_skipped == run.rows_fetched
    assert Lead.objects.filter(phone="+441134960123").count() == 1


def test_leads_enter_as_leads_when_the_campaign_says(apify, plumbers):
    plumbers.enter_as = "lead"
    plumbers.save()
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    run = _run(plumbers)
    assert set(Lead.objects.filter(import_job__in=run.import_jobs.all()).values_list("lifecycle", flat=True)) == {
        "lead"
    }


def test_new_leads_go_to_the_reps_in_turn(apify, plumbers, rep_alice, rep_bob):
    plumbers.round_robin.set([rep_alice, rep_bob])
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    run = _run(plumbers)
    owners = list(
        Lead.objects.filter(import_job__in=run.import_jobs.all()).order_by("pk").values_list("owner", flat=True)
    )
    assert owners[:2] == [rep_alice.pk, rep_bob.pk]
    plumbers.refresh_from_db()
    assert plumbers.round_robin_next == len(owners) % 2


def test_two_runs_of_one_campaign_never_overlap(plumbers):
    scrape_run_start(campaign=plumbers, actor=None, queue=False)
    with pytest.raises(RunRefused, match="already running"):
        scrape_run_start(campaign=plumbers, actor=None, queue=False)


def test_a_run_that_may_pass_is_tried_again_later_then_fails_with_its_reason(apify, plumbers):
    plumbers.target = {"actor": MAPS, "run": "start"}
    plumbers.save()
    apify.add_run(MAPS, "run-1", ["TIMED-OUT"], dataset_id="none")
    apify.starts_into(MAPS, "run-1")
    run = _run(plumbers)
    assert run.status == "queued" and run.retry_at is not None and "TIMED-OUT" in run.error
    assert Schedule.objects.get(func="scraping.runs.scrape_run_execute").next_run == run.retry_at
    for _ in range(2):
        scrape_run_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("failed", 3) and run.finished_at is not None


def test_a_rejected_key_fails_at_once(apify, plumbers, settings):
    settings.APIFY_TOKEN = "wrong"
    run = _run(plumbers)
    assert run.status == "failed" and run.attempts == 1


def test_an_empty_result_where_items_were_expected_is_flagged(apify, plumbers):
    apify.add_dataset("empty", [])
    apify.add_run(MAPS, "run-1", dataset_id="empty")
    run = _run(plumbers)
    assert run.status == "flagged" and run.error


def test_ad_form_sources_have_nothing_to_run(manager_mia):
    campaign = Campaign.objects.create(name="Meta", source=Source.objects.create(kind="meta", name="Meta ads"))
    with pytest.raises(RunRefused, match="webhook"):
        scrape_run_start(campaign=campaign, actor=manager_mia, queue=False)


def test_the_scrape_command_runs_a_campaign_and_prints_its_counts(apify, plumbers, admin_ada, capsys):
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    call_command("scrape", "Plumbers in Leeds")
    out = capsys.readouterr().out
    assert "run #" in out and "done" in out and "created" in out
    with pytest.raises(CommandError, match="no campaign"):
        call_command("scrape", "Nobody")


class TestSchedules:
    def test_schedules_are_read_in_words(self):
        assert schedule_clean(" Daily 7:05 ") == "daily 07:05"
        assert schedule_clean("weekly Monday 07:00") == "weekly mon 07:00"
        with pytest.raises(ValidationError, match="Unknown schedule"):
            schedule_clean("every other tuesday")
        with pytest.raises(ValidationError):
            schedule_clean("daily 25:00")

    def test_the_next_time_is_in_the_sites_zone_and_keeps_the_wall_clock(self):
        berlin = ZoneInfo("Europe/Berlin")
        after = datetime(2026, 3, 28, 8, 0, tzinfo=berlin)  # the night before summer time
        assert schedule_next("daily 07:00", after, "Europe/Berlin") == datetime(2026, 3, 29, 7, 0, tzinfo=berlin)
        monday = schedule_next("weekly mon 07:00", after, "Europe/Berlin")
        assert monday.weekday() == 0 and monday.hour == 7
        assert schedule_next("hourly", after, "UTC") == after + timedelta(hours=1) - timedelta(minutes=0)
        assert schedule_next("manual", after, "UTC") is None

    def test_a_campaign_that_is_due_runs_once_however_many_times_were_missed(
        self, plumbers, django_capture_on_commit_callbacks
    ):
        plumbers.schedule = "hourly"
        plumbers.next_run_at = datetime(2020, 1, 1, tzinfo=ZoneInfo("UTC"))
        plumbers.save()
        started = datetime.now(tz=ZoneInfo("UTC"))
        assert campaigns_run_due() == 1
        plumbers.refresh_from_db()
        assert plumbers.next_run_at > started  # the next hour, not one of the missed ones
        assert plumbers.runs.count() == 1 and plumbers.runs.get().trigger == "schedule"
        assert campaigns_run_due() == 0


def test_raw_answers_are_forgotten_after_their_days(plumbers):
    from django.utils import timezone

    from scraping.runs import runs_raw_forget

    old = ScrapeRun.objects.create(campaign=plumbers, status="done", raw={"items": [1]}, leads_created=3,
                                   raw_expires_at=timezone.now() - timedelta(minutes=1))  # fmt: skip
    fresh = ScrapeRun.objects.create(campaign=plumbers, status="done", raw={"items": [2]},
                                     raw_expires_at=timezone.now() + timedelta(days=1))  # fmt: skip
    assert runs_raw_forget() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.raw, old.leads_created, fresh.raw) == ({}, 3, {"items": [2]})


def test_a_retry_waits_for_the_actor_run_it_started_instead_of_starting_another(apify, plumbers, settings):
    settings.CAPTURE_WAIT_SECONDS = 3
    plumbers.target = {"actor": MAPS, "run": "start"}
    plumbers.save()
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", ["RUNNING"] * 4 + ["SUCCEEDED"], dataset_id="places-1")
    apify.starts_into(MAPS, "run-1")
    run = _run(plumbers)
    assert run.status == "queued" and run.cursor == {"pending_run_id": "run-1"}
    scrape_run_execute(run.pk)  # the retry the schedule would run
    run.refresh_from_db()
    assert run.status == "done" and run.leads_created >= 2 and run.cursor == {"run_id": "run-1"}
    starts = [request for request in apify.requests() if request.method == "POST"]
    assert len(starts) == 1


def test_a_large_fetch_is_imported_in_chunks_and_counted_whole(apify, plumbers, monkeypatch):
    monkeypatch.setattr("scraping.capture.CHUNK_ROWS", 1)
    apify.add_dataset("places-1", "google-maps-places")
    apify.add_run(MAPS, "run-1", dataset_id="places-1")
    run = _run(plumbers)
    jobs = list(run.import_jobs.order_by("pk"))
    assert len(jobs) == run.rows_fetched >= 2
    assert jobs[1].original_name.endswith("(part 2).csv")
    assert run.leads_created == sum(job.rows_imported for job in jobs) == Lead.objects.count()


def test_a_retry_whose_task_was_lost_is_queued_again_by_the_reconciler(apify, plumbers, settings):
    plumbers.target = {"actor": MAPS, "run": "start"}
    plumbers.save()
    apify.add_run(MAPS, "run-1", ["TIMED-OUT"], dataset_id="none")
    apify.starts_into(MAPS, "run-1")
    run = _run(plumbers)
    assert run.status == "queued" and run.retry_at is not None
    # The one-off schedule's task went with the Redis broker's queue (or `sync_schedules` ran meanwhile, before the
    # change that keeps one-off schedules); the retry was due long ago and nobody took it.
    Schedule.objects.filter(func="scraping.runs.scrape_run_execute").delete()
    assert runs_requeue_stalled() == 0  # due, but not yet for longer than a lease
    long_ago = timezone.now() - timedelta(seconds=settings.CAPTURE_STALL_SECONDS + 1)
    ScrapeRun.objects.filter(pk=run.pk).update(retry_at=long_ago, heartbeat_at=long_ago)
    assert runs_requeue_stalled() == 1  # run at once by the synchronous test cluster: its second try
    run.refresh_from_db()
    assert run.attempts == 2
