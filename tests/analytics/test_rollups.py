"""Rollups: every report reads the same figures from the rollup tables (past days) plus today's live rows as its live
queries count, for every scope the rollups answer; the job is idempotent and runs once at a time."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from analytics.models import CohortDay, DurationDay, EventDay, LeadDay, OutreachDay, RollupState
from analytics.reports import REPORTS, Scope, report_page, site_today, site_zone
from analytics.rollup_job import STALL_SECONDS, analytics_rollup
from analytics.rollups import RATIO, ROLLUPS, bucket_median, rolled_through, rollups_split, segment_of
from crm.models import Activity, ImportJob, Lead, ListMembership, ScoringSettings, StageChange
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource
from leadflow.leases import lease_claim
from outreach.models import Conversation, ConversationMessage, MessageEvent, StepVariant
from scraping.models import Campaign, ScrapeRun, Source
from tests.factories import (
    EnrollmentFactory,
    LeadFactory,
    LeadListFactory,
    MessageFactory,
    SequenceFactory,
    SequenceStepFactory,
    TaskFactory,
    default_stage,
)

pytestmark = pytest.mark.django_db
# Days ago that things happen on: today (counted live), yesterday and the day before (the last rolled-up days), and
# days inside and either side of 30- and 90-day ranges and of the periods before them.
DAYS = [0, 1, 2, 5, 13, 29, 30, 44, 60, 89, 90, 100, 150, 200]
SOURCES = ["webinar", "import", ""]
ZONES = ["", "America/New_York", "Asia/Kolkata"]


def at(days_ago: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(site_today() - timedelta(days=days_ago), time(hour, minute), tzinfo=site_zone())


def dated(instance, field: str, when: datetime):
    """Set an auto_now_add time to `when` (it is written on create)."""
    type(instance).objects.filter(pk=instance.pk).update(**{field: when})
    return instance


def lead_history(index: int, days: int, owner, *, steps, variants, job, enrichment_job, stages) -> Lead:
    """A lead added `days` ago with a spread of everything the reports count, on its days and later ones."""
    later = [max(days - offset, 0) for offset in (0, 1, 3, 17, 40)]
    lead = LeadFactory(
        owner=owner,
        source=SOURCES[index % 3],
        lifecycle="lead" if index % 4 else "contact",
        score=(index * 17) % 100,
        deal_value=Decimal(100 * (index % 5)) if index % 5 else None,
        time_zone=ZONES[index % 3],
        email_verified=index % 2 == 0,
        import_job=job if index % 3 == 0 else None,
        created_at=at(days, hour=(index * 5) % 24, minute=30 if index % 2 else 0),
    )
    # Stage history: into the first stage on the day added; some on to the meeting stage, then won or lost.
    dated(StageChange.objects.create(lead=lead, to_stage=stages[0]), "created_at", at(days, 23, 59))
    if index % 3 != 1:
        move = StageChange.objects.create(lead=lead, from_stage=stages[0], to_stage=stages[3], actor=owner)
        dated(move, "created_at", at(later[1], 9))
        if index % 3 == 0:
            final = stages[6] if index % 2 == 0 else stages[7]
            dated(StageChange.objects.create(lead=lead, from_stage=stages[3], to_stage=final, actor=owner),
                  "created_at", at(later[2], 15))  # fmt: skip
            type(lead).objects.filter(pk=lead.pk).update(stage=final)
    # Timeline: emails on several days (a lead counts once however often), replies, a booked meeting.
    for offset in later[:3]:
        dated(Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_SENT, summary="Sent"), "created_at",
              at(offset, 10))  # fmt: skip
    if index % 2:
        for offset in later[1:4:2]:
            dated(Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied"), "created_at",
                  at(offset, 0, 15))  # fmt: skip
    if index % 5 == 2:
        dated(Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Booked"), "created_at",
              at(later[3], 11))  # fmt: skip
    # Tasks, one done, one overdue.
    TaskFactory(lead=lead, assignee=owner, done=True, done_at=at(later[1], 16))
    TaskFactory(lead=lead, assignee=owner, due_at=at(later[0], 8) - timedelta(days=1))
    # A reply answered after a while (or not), in the lead's conversation.
    conversation = Conversation.objects.create(lead=lead, channel="email", assigned_to=owner)
    ConversationMessage.objects.create(conversation=conversation, direction="in", occurred_at=at(later[1], 7))
    if index % 4 != 3:
        ConversationMessage.objects.create(
            conversation=conversation, direction="out", author=owner,
            occurred_at=at(later[1], 7) + timedelta(minutes=7 * index + 3),
        )  # fmt: skip
    # Sequence messages, at every hour of the day, with their outcomes and machine opens.
    enrollment = EnrollmentFactory(sequence=steps[0].sequence, lead=lead)
    for number, offset in enumerate(later[:3]):
        sent = at(offset, (index * 7 + number * 5) % 24, 45)
        outcome = (index + number) % 6
        message = MessageFactory(
            enrollment=enrollment, step=steps[number], variant=variants[index % 2] if number == 0 else None,
            sent_at=sent,
            delivered_at=sent if outcome else None, bounced_at=None if outcome else sent,
            opened_at=sent if outcome in (2, 3) else None, clicked_at=sent if outcome == 3 else None,
            replied_at=sent if outcome == 4 else None, unsubscribed_at=sent if outcome == 5 and index % 2 else None,
        )  # fmt: skip
        if outcome in (1, 3):
            MessageEvent.objects.create(message=message, kind="opened", machine=True, machine_reason="Apple MPP")
    # Enrichment: the job's item and what it found.
    EnrichmentItem.objects.create(job=enrichment_job, lead=lead, status="done", finished_at=at(later[2], 6))
    for field, status, found_by in (("email", ["valid", "catch-all", "invalid"][index % 3], "finder"),
                                    ("phone", ["mobile", "unknown"][index % 2], "phone")):  # fmt: skip
        if (index + len(field)) % 3:
            FieldSource.objects.create(
                lead=lead, job=enrichment_job, field=field, value=f"{field} {lead.pk}", source=found_by,
                confidence=50 + index % 50, status=status, found_at=at(later[2], 6),
            )  # fmt: skip
    return lead


@pytest.fixture
def world(manager_mia, rep_alice, rep_bob):
    ScoringSettings.objects.create(pk=ScoringSettings.SINGLETON_PK, mql_threshold=40, sql_threshold=75)
    campaign = Campaign.objects.create(name="Berlin dentists", source=Source.objects.create(kind="website", name="D"))
    job = ImportJob.objects.create(original_name="run.csv")
    ScrapeRun.objects.create(campaign=campaign).import_jobs.add(job)
    # Two sequences, each sending to every other lead; some leads are enrolled in the other one too, unmessaged.
    intro, follow_up = (sequence_sent(name) for name in ("Intro", "Follow-up"))
    lists = [LeadListFactory(name="Dentists"), LeadListFactory(name="Webinar guests")]
    enrichment_job = EnrichmentJob.objects.create(fields=["email", "phone"], sources=["finder", "phone"], status="done")
    stages = list(default_stage().pipeline.stages.all())
    common = {**intro, "job": job, "enrichment_job": enrichment_job, "stages": stages}
    index = 0
    for days in DAYS:
        for owner in (rep_alice, rep_bob, None):
            sent_by, other = (follow_up, intro) if index % 2 else (intro, follow_up)
            lead = lead_history(index, days, owner, **{**common, **sent_by})
            if index % 5 == 0:
                EnrollmentFactory(sequence=other["steps"][0].sequence, lead=lead)
            # Lists overlapping each other and the sequences, with won, moved and untouched leads in each.
            for lead_list, member in zip(lists, (index % 4 in (0, 1), index % 5 in (0, 2, 3)), strict=True):
                if member:
                    ListMembership.objects.create(lead_list=lead_list, lead=lead)
            index += 1
    return {**common, "alice": rep_alice, "bob": rep_bob, "manager": manager_mia, "lists": lists,
            "follow_up": follow_up["steps"][0].sequence}  # fmt: skip


def sequence_sent(name: str) -> dict:
    """A sequence of three steps, the first an A/B test: the steps and variants lead_history sends."""
    sequence = SequenceFactory(name=name)
    steps = [SequenceStepFactory(sequence=sequence, position=position) for position in (1, 2, 3)]
    return {"steps": steps, "variants": [StepVariant.objects.create(step=steps[0], label=label) for label in "AB"]}


@contextmanager
def live_only():
    """The reports' live queries: as if no rollup had run."""
    through = RollupState.objects.get(pk=1).through
    RollupState.objects.filter(pk=1).update(through=None)
    try:
        yield
    finally:
        RollupState.objects.filter(pk=1).update(through=through)


RANGES = [(29, 0), (89, 0), (59, 20), (10, 1), (0, 0), (200, 150)]


def assert_same_figures(user, **filters):
    """Every report over every range: from the rollups, as from the live queries (medians within the buckets'
    bound: 2.5 %, or a second)."""
    assert rolled_through() == site_today() - timedelta(days=1)
    for first, last in RANGES:
        scope = Scope.for_user(user, site_today() - timedelta(days=first), site_today() - timedelta(days=last),
                               **filters)  # fmt: skip
        for slug in REPORTS:
            rolled = report_page(slug, scope).tables
            with live_only():
                live = report_page(slug, scope).tables
            assert [table.slug for table in rolled] == [table.slug for table in live]
            for got, want in zip(rolled, live, strict=True):
                where = f"{slug}/{got.slug} over {scope.start}-{scope.end} {filters}"
                assert_same_rows(got, want, where)


def assert_same_rows(got, want, where: str) -> None:
    durations = {column.key for column in want.columns if column.kind == "duration"}

    def key(row):
        return repr(sorted((k, str(v)) for k, v in row.items() if k not in durations))

    assert len(got.rows) == len(want.rows), where
    for got_row, want_row in zip(sorted(got.rows, key=key), sorted(want.rows, key=key), strict=True):
        for column in want_row:
            if column in durations and want_row[column] is not None:
                assert got_row[column] == pytest.approx(want_row[column], rel=RATIO**0.5 - 1, abs=1), where
            else:
                assert got_row[column] == want_row[column], f"{where}: {column} of {want_row}"


def test_every_report_reads_the_live_figures_from_the_rollups(world):
    print(analytics_rollup(full=True))
    assert_same_figures(world["manager"])


@pytest.mark.parametrize("narrowed", ["owner", "source", "rep", "owner and source"])
def test_narrowed_scopes_read_the_same_figures(world, narrowed):
    analytics_rollup(full=True)
    if narrowed == "owner":
        assert_same_figures(world["manager"], owner_id=world["bob"].pk)
    elif narrowed == "source":
        assert_same_figures(world["manager"], source="webinar")
    elif narrowed == "owner and source":
        assert_same_figures(world["manager"], owner_id=world["alice"].pk, source="import")
    else:
        assert_same_figures(world["alice"])


def test_todays_activity_after_the_run_counts_live(world):
    analytics_rollup(full=True)
    # More of today after the nightly run: new leads, replies, moves, messages; all counted at once.
    for index in range(100, 106):
        lead_history(index, 0, [world["alice"], world["bob"], None][index % 3], **{
            key: world[key] for key in ("steps", "variants", "job", "enrichment_job", "stages")
        })  # fmt: skip
    assert_same_figures(world["manager"])
    assert_same_figures(world["manager"], owner_id=world["alice"].pk)


@pytest.mark.parametrize("narrowed", ["list", "sequence", "list and owner", "sequence as a rep"])
def test_list_and_sequence_scopes_read_their_own_rollup_rows(world, narrowed):
    analytics_rollup(full=True)
    user = world["alice"] if narrowed.endswith("rep") else world["manager"]
    filters = {"list_id": world["lists"][0].pk} if narrowed.startswith("list") else {}
    filters |= {"sequence_id": world["follow_up"].pk} if narrowed.startswith("sequence") else {}
    filters |= {"owner_id": world["bob"].pk} if narrowed.endswith("owner") else {}
    # Read from rows of the list's (the sequence's) own: every grain stored some for it.
    segment = segment_of(Scope.for_user(user, site_today(), site_today(), **filters))
    assert segment and rollups_split(Scope.for_user(user, site_today(), site_today(), **filters)) is not None
    for chosen in ROLLUPS.values():
        assert chosen.model.objects.filter(segment=segment, **chosen.owns).exists(), chosen.name
    assert_same_figures(user, **filters)


def test_a_list_after_the_run_counts_its_members_at_the_next(world):
    """A list made after a run is counted, with its members, by the next one."""
    analytics_rollup(full=True)
    new_list = LeadListFactory(name="Added today")
    for lead in Lead.objects.order_by("pk")[:9]:
        ListMembership.objects.create(lead_list=new_list, lead=lead)
    analytics_rollup(full=True)
    assert_same_figures(world["manager"], list_id=new_list.pk)


def test_scopes_the_rollups_cannot_answer_use_the_live_queries(world):
    analytics_rollup(full=True)
    campaign = Campaign.objects.get()
    assert_same_figures(world["manager"], campaign_id=campaign.pk)
    both = {"list_id": world["lists"][1].pk, "sequence_id": world["follow_up"].pk}
    assert rollups_split(Scope.for_user(world["manager"], site_today(), site_today(), **both)) is None
    assert_same_figures(world["manager"], **both)
    # Figures counted under other score thresholds are not read at all.
    ScoringSettings.objects.filter(pk=ScoringSettings.SINGLETON_PK).update(mql_threshold=10)
    assert rolled_through() is None


def stored_rows() -> dict[str, list]:
    return {
        name: sorted(
            chosen.model.objects.values_list(*(f.attname for f in chosen.model._meta.concrete_fields[1:])), key=repr
        )
        for name, chosen in ROLLUPS.items()
    }


def test_running_again_gives_the_same_rows_and_a_refresh_matches_a_full_run(world):
    analytics_rollup(full=True)
    first = stored_rows()
    assert all(first[name] for name in ROLLUPS)
    analytics_rollup(full=True)
    assert stored_rows() == first
    refreshed = analytics_rollup(days=3)
    assert not refreshed.full and refreshed.start == site_today() - timedelta(days=3)
    assert stored_rows() == first


def test_a_second_runner_leaves_the_tables_to_the_first(world):
    RollupState.objects.create(pk=1)
    held = lease_claim(RollupState.objects.all(), job_id=1, running="running", stall_seconds=STALL_SECONDS)
    assert held
    result = analytics_rollup(full=True)
    assert not result.ran and str(result) == "Another analytics rollup is running: nothing done."
    assert not CohortDay.objects.exists() and rolled_through() is None
    # The lease freed (or run out), the next run counts.
    RollupState.objects.filter(pk=1).update(lease_owner="")
    assert analytics_rollup(full=True).ran
    assert RollupState.objects.get(pk=1).lease_owner == ""


def test_the_command_says_what_it_counted(world, capsys):
    call_command("analytics_rollup", "--full")
    out = capsys.readouterr().out
    assert out.startswith("Analytics rollup (full rebuild) of None to ")
    cohort = CohortDay.objects.filter(campaign_id__isnull=True).count()
    timeline = EventDay.objects.filter(kind__in=["replies", "won"]).count()
    assert f"cohort {cohort}, " in out and f"timeline_events {timeline}, " in out
    call_command("analytics_rollup", "--days", "2")
    assert f"(refresh) of {site_today() - timedelta(days=2)} to {site_today() - timedelta(days=1)}" in (
        capsys.readouterr().out
    )
    assert LeadDay.objects.exists() and DurationDay.objects.exists() and OutreachDay.objects.exists()


@pytest.mark.parametrize("values", [[1, 2, 3], [5.5, 7200, 86400 * 3, 40], [0.2, -30, 600, 601, 602, 1e6]])
def test_a_median_from_buckets_is_within_the_bound(values):
    from statistics import median

    from analytics.rollups import duration_bucket

    counts: dict[int, int] = {}
    for value in values:
        counts[duration_bucket(value)] = counts.get(duration_bucket(value), 0) + 1
    assert bucket_median(counts) == pytest.approx(median(values), rel=RATIO**0.5 - 1, abs=1)


def test_the_nightly_schedule_runs_the_job(world):
    from django.utils.module_loading import import_string

    from leadflow.schedules import SCHEDULES

    done = import_string(SCHEDULES["roll up analytics figures"]["func"])()
    assert done.startswith("Analytics rollup (full rebuild)")
    assert rolled_through() == site_today() - timedelta(days=1)
