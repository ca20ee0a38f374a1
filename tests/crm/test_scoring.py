"""Scoring: each component with its reason, the AI opinion, weights, thresholds, snapshots, stale marking and the
command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from crm.models import Activity, Company, IdealCustomerProfile, Lead, ScoreSnapshot, ScoringSettings, Stage
from crm.rescoring import (
    RESCORE_LOCK,
    ROW_FIELDS,
    RescoreResult,
    _batch_score,
    _batch_write,
    _profiles,
    leads_rescore,
    leads_rescore_stale,
    leads_stale_reconcile,
    scoring_settings,
)
from crm.selectors import profile_default, profile_for
from crm.services.companies import company_fill
from crm.services.leads import lead_update
from crm.services.scores import lead_ai_fit_set, lead_verification_set
from crm.services.timeline import activity_record
from tests.factories import CompanyFactory, LeadFactory, LeadListFactory

pytestmark = pytest.mark.django_db


def _profile(**values) -> IdealCustomerProfile:
    profile = profile_default()
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def _scored(lead: Lead) -> Lead:
    leads_rescore([lead.pk])
    lead.refresh_from_db()
    return lead


def _settings(**values) -> ScoringSettings:
    record = ScoringSettings(pk=ScoringSettings.SINGLETON_PK, **values)
    record.save()
    return record


def _part(lead: Lead, name: str) -> tuple[int, str]:
    return lead.score_parts[name]["value"], lead.score_parts[name]["reason"]


@pytest.fixture
def ideal_lead():
    company = CompanyFactory(industry="Software", size="51-200", location="Berlin, Germany", technologies=["Stripe"])
    return LeadFactory(title="Head of Sales", company=company, location="")


def test_a_lead_matching_every_criterion_fits_fully(ideal_lead):
    _profile(
        industries=["software"],
        title_keywords=["Sales"],
        seniority_keywords=["head", "vp"],
        company_size_min=50,
        company_size_max=500,
        locations=["Germany"],
        technologies=["stripe"],
    )
    value, reason = _part(_scored(ideal_lead), "fit")
    assert value == 100
    assert reason == "Matches industry, title, seniority, company size, location, technologies."


def test_misses_and_unknowns_lower_the_fit_and_say_which(ideal_lead):
    _profile(industries=["Fintech"], title_keywords=["sales"], locations=["France"], technologies=["HubSpot"])
    ideal_lead.company.technologies = []
    ideal_lead.company.save()
    value, reason = _part(_scored(ideal_lead), "fit")
    # title 100, industry 0, location 0, technologies unknown 50
    assert value == round((100 + 0 + 0 + 50) / 4)
    assert reason == "Matches title; misses industry, location; does not know technologies."


def test_a_keyword_matches_whole_words_only():
    _profile(seniority_keywords=["cto"])
    value, _reason = _part(_scored(LeadFactory(title="Sales Director")), "fit")
    assert value == 0


def test_an_exclusion_keyword_makes_the_fit_zero_and_says_why(ideal_lead):
    _profile(industries=["software"], exclusion_keywords=["Head of Sales", "student"])
    assert _part(_scored(ideal_lead), "fit") == (0, "Excluded: mentions “head of sales”.")


def test_an_empty_profile_gives_a_neutral_fit():
    value, reason = _part(_scored(LeadFactory()), "fit")
    assert value == 50
    assert "profile names nothing" in reason


def test_the_ai_opinion_feeds_the_fit_at_its_weight_and_says_so(ideal_lead, django_capture_on_commit_callbacks):
    _profile(industries=["software"])
    _settings(weight_ai=30)
    with django_capture_on_commit_callbacks(execute=True):
        lead_ai_fit_set(lead=ideal_lead, fit=20, reason="A reseller, not a buyer.")
    ideal_lead.refresh_from_db()
    value, reason = _part(ideal_lead, "fit")  # scored by the queued task
    assert value == round(100 * 0.7 + 20 * 0.3)
    assert reason.endswith("AI opinion 20/100 (weight 30%): A reseller, not a buyer.")


def test_the_ai_opinion_is_refused_out_of_range():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        lead_ai_fit_set(lead=LeadFactory(), fit=101, reason="")


def test_completeness_counts_present_and_verified_fields():
    lead = LeadFactory(email="ann@acme.example", phone="+14155550100", title="CEO", linkedin_url="", website="")
    lead_verification_set(lead=lead, email="ANN@acme.example", email_verified=True, phone="", phone_verified=False)
    value, reason = _part(_scored(lead), "completeness")
    # email 20 + verified 10, phone 10, title 10, company 10
    assert value == 60
    assert reason == "Has email (verified), phone, title, company; missing LinkedIn, website, location."


def test_a_changed_email_is_no_longer_verified(rep_alice):
    lead = LeadFactory(owner=rep_alice, email="ann@acme.example")
    lead_verification_set(lead=lead, email="ann@acme.example", email_verified=True, phone="", phone_verified=False)
    lead.refresh_from_db()
    lead_update(lead=lead, actor=rep_alice, email="ann@other.example")
    lead.refresh_from_db()
    assert not lead.email_verified


def test_engagement_counts_people_and_never_machine_opens():
    lead = LeadFactory()
    for data in ({}, {"machine": True}, {"machine": True}):
        Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_OPENED, summary="Opened", data=data)
    Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_CLICKED, summary="Clicked")
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    assert _part(_scored(lead), "engagement") == (5 + 10 + 25, "1 open, 1 click, 1 reply.")


def test_machine_opens_alone_are_no_engagement_and_no_touch():
    lead = LeadFactory()
    Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_OPENED, summary="Opened", data={"machine": True})
    lead = _scored(lead)
    assert _part(lead, "engagement") == (0, "No opens, clicks, replies or meetings yet.")
    assert "never touched" in _part(lead, "recency")[1]


def test_a_machine_open_after_a_persons_open_is_not_the_last_touch():
    lead = LeadFactory()
    long_ago = timezone.now() - timedelta(days=100)
    Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_OPENED, summary="Opened", created_at=long_ago)
    Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_OPENED, summary="Opened", data={"machine": True})
    lead = _scored(lead)
    assert _part(lead, "engagement") == (5, "1 open.")
    assert _part(lead, "recency")[1] == "Data updated today; last touched 100 days ago."


def test_engagement_is_capped_per_kind_and_a_meeting_counts_most():
    lead = LeadFactory()
    for _ in range(10):
        Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_OPENED, summary="Opened")
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Meeting")
    assert _part(_scored(lead), "engagement")[0] == 15 + 40


def test_recency_falls_with_the_age_of_data_and_of_the_last_touch():
    fresh, old = LeadFactory(), LeadFactory()
    Activity.objects.create(lead=fresh, kind=Activity.Kind.NOTE, summary="Called")
    long_ago = timezone.now() - timedelta(days=400)
    Lead.objects.filter(pk=old.pk).update(updated_at=long_ago)
    Activity.objects.create(lead=old, kind=Activity.Kind.NOTE, summary="Called", created_at=long_ago)
    assert _part(_scored(fresh), "recency") == (100, "Data updated today; last touched today.")
    assert _part(_scored(old), "recency") == (0, "Data updated 400 days ago; last touched 400 days ago.")


def test_weights_change_the_score():
    lead = LeadFactory(phone="", linkedin_url="", website="", location="")
    _settings(weight_fit=0, weight_completeness=100, weight_engagement=0, weight_recency=0)
    completeness = _scored(lead).score_parts["completeness"]["value"]
    assert lead.score == completeness
    _settings(weight_fit=0, weight_completeness=0, weight_engagement=100, weight_recency=0)
    assert _scored(lead).score == 0
    _settings(weight_fit=50, weight_completeness=50, weight_engagement=0, weight_recency=0)
    assert _scored(lead).score == round((50 + completeness) / 2)


def test_grades_follow_the_thresholds():
    lead = LeadFactory()
    # Only the fit counts, and an empty profile's fit is a neutral 50.
    _settings(weight_fit=100, weight_completeness=0, weight_engagement=0, weight_recency=0, mql_threshold=40)
    assert _scored(lead).grade == "warm"
    _settings(weight_fit=100, weight_completeness=0, weight_engagement=0, weight_recency=0, sql_threshold=50)
    assert _scored(lead).grade == "hot"
    _settings(weight_fit=100, weight_completeness=0, weight_engagement=0, weight_recency=0, mql_threshold=60)
    assert _scored(lead).grade == "cold"


def test_a_snapshot_is_kept_only_when_the_score_changes():
    lead = LeadFactory()
    _scored(lead)
    _scored(lead)
    assert ScoreSnapshot.objects.filter(lead=lead).count() == 1
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    _scored(lead)
    snapshots = list(ScoreSnapshot.objects.filter(lead=lead).order_by("created_at", "id"))
    assert len(snapshots) == 2
    assert snapshots[-1].score == lead.score
    assert snapshots[-1].engagement == 25


def _hot_settings(**values) -> ScoringSettings:
    """Only engagement counts, so a reply (25) crosses MQL 20 and a meeting (65 with it) crosses SQL 60."""
    weights = {"weight_fit": 0, "weight_completeness": 0, "weight_engagement": 100, "weight_recency": 0}
    return _settings(**weights, mql_threshold=20, sql_threshold=60, **values)


def test_crossing_mql_promotes_a_contact_and_writes_the_timeline():
    lead = LeadFactory()
    _hot_settings(promote_at_mql=True)
    _scored(lead)
    assert lead.lifecycle == Lead.Lifecycle.CONTACT
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    result = leads_rescore([lead.pk])
    lead.refresh_from_db()
    assert result.promoted == 1
    assert lead.lifecycle == Lead.Lifecycle.LEAD
    lines = list(lead.activities.filter(kind=Activity.Kind.SCORE).values_list("summary", flat=True))
    assert lines == ["Score 25 crossed the MQL (20) threshold"]
    assert lead.activities.filter(kind=Activity.Kind.PROMOTED).exists()


def test_promotion_can_be_switched_off_but_the_timeline_still_says_so():
    lead = LeadFactory()
    _hot_settings(promote_at_mql=False)
    _scored(lead)
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    lead = _scored(lead)
    assert lead.lifecycle == Lead.Lifecycle.CONTACT
    assert lead.activities.filter(kind=Activity.Kind.SCORE).count() == 1


def test_crossing_sql_moves_the_lead_to_the_configured_stage():
    lead = LeadFactory()
    target = Stage.objects.get(pipeline=lead.stage.pipeline, name="Meeting booked")
    _hot_settings(sql_stage=target)
    _scored(lead)
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Booked")
    result = leads_rescore([lead.pk])
    lead.refresh_from_db()
    assert (result.moved, lead.stage) == (1, target)
    assert lead.activities.filter(kind=Activity.Kind.SCORE, summary__contains="SQL (60)").exists()
    assert lead.stage_changes.filter(to_stage=target, actor=None).exists()
    # Staying above the threshold moves nothing again (someone may have moved it back on purpose).
    assert leads_rescore([lead.pk]).moved == 0


def test_a_falling_score_crosses_nothing():
    lead = LeadFactory()
    _hot_settings()
    reply = Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    _scored(lead)
    reply.delete()
    lead = _scored(lead)
    assert lead.score == 0
    assert lead.activities.filter(kind=Activity.Kind.SCORE).count() == 1


def test_a_change_marks_the_lead_stale_and_one_task_rescores_after_commit(
    rep_alice, django_capture_on_commit_callbacks
):
    lead = LeadFactory(owner=rep_alice)
    leads_rescore([lead.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        lead_update(lead=lead, actor=rep_alice, title="Head of Sales")
        activity_record(lead=lead, actor=rep_alice, kind=Activity.Kind.NOTE, summary="Called")
        lead.refresh_from_db()
        assert lead.score_stale  # in the same transaction as the change
    assert len(callbacks) == 1  # two writes, one task
    callbacks[0]()  # the task (django-q2 runs synchronously in tests)
    lead.refresh_from_db()
    assert not lead.score_stale
    assert "Has email, title" in lead.score_parts["completeness"]["reason"]


def test_the_stale_task_scores_only_stale_leads():
    stale = LeadFactory()
    LeadFactory()  # scored and left alone
    leads_rescore()
    Lead.objects.filter(pk=stale.pk).update(score_stale=True)
    assert leads_rescore_stale() == "1 scored, 0 changed, 0 promoted, 0 moved"


def test_the_stale_task_rescores_a_part_and_queues_the_rest_as_tasks_of_their_own():
    leads = LeadFactory.create_batch(5)
    leads_rescore()
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(score_stale=True)
    # The first task's own part; the rest ran as the tasks it queued (inline here: django-q2 runs in the test).
    assert leads_rescore_stale(limit=2) == "2 scored, 0 changed, 0 promoted, 0 moved"
    assert not Lead.objects.filter(score_stale=True).exists()


def test_a_stale_task_leaves_the_leads_to_the_rescore_already_running():
    lead = LeadFactory()
    leads_rescore()
    Lead.objects.filter(pk=lead.pk).update(score_stale=True)
    cache.add(RESCORE_LOCK, "a run in another worker", 60)
    try:
        assert leads_rescore_stale() == "another rescore is running: it takes these leads too"
        assert Lead.objects.get(pk=lead.pk).score_stale
    finally:
        cache.delete(RESCORE_LOCK)
    assert leads_rescore_stale().startswith("1 scored")
    assert not Lead.objects.get(pk=lead.pk).score_stale


def test_the_reconciler_finds_leads_changed_behind_the_services_back():
    lead = LeadFactory()
    leads_rescore()
    Lead.objects.filter(pk=lead.pk).update(updated_at=timezone.now() + timedelta(seconds=5))
    assert leads_stale_reconcile().startswith("1 scored")


def test_the_reconciler_finds_leads_whose_company_changed_behind_the_services_back():
    lead = LeadFactory()
    leads_rescore()
    later = timezone.now() + timedelta(seconds=5)
    Company.objects.filter(pk=lead.company_id).update(industry="Software", updated_at=later)  # as the admin does
    assert leads_stale_reconcile().startswith("1 scored")


def test_a_company_filled_with_technologies_marks_its_people_stale():
    lead = LeadFactory()
    leads_rescore()
    changed = company_fill(company=lead.company, values={"technologies": "Stripe, React,Stripe"})
    assert changed["technologies"][1] == ["Stripe", "React"]
    lead.refresh_from_db()
    assert lead.score_stale


def test_the_pipelines_own_profile_wins(ideal_lead):
    own = IdealCustomerProfile.objects.create(name="Sales", pipeline=ideal_lead.stage.pipeline, industries=["Retail"])
    _profile(industries=["Software"])
    assert profile_for(ideal_lead) == own
    assert _part(_scored(ideal_lead), "fit")[0] == 0


def test_the_command_scores_all_or_a_list(capsys):
    leads = LeadFactory.create_batch(3)
    call_command("score", "--all")
    assert capsys.readouterr().out == "Leads: 3 scored, 3 changed, 0 promoted, 0 moved.\n"
    members = LeadListFactory(name="Fair 2026")
    members.members.add(leads[0])
    call_command("score", "--list", "Fair 2026")
    assert capsys.readouterr().out == "Leads: 1 scored, 0 changed, 0 promoted, 0 moved.\n"


def test_the_command_names_an_unknown_list():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no list named"):
        call_command("score", "--list", "9999999999999999999999")


def test_crossing_sql_never_moves_a_lead_backwards_or_out_of_a_closed_stage():
    lead = LeadFactory()
    pipeline = lead.stage.pipeline
    target = Stage.objects.get(pipeline=pipeline, name="Meeting booked")
    won = Stage.objects.get(pipeline=pipeline, kind=Stage.Kind.WON)
    Lead.objects.filter(pk=lead.pk).update(stage=won)
    _hot_settings(sql_stage=target)
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Booked")
    assert leads_rescore([lead.pk]).moved == 0
    lead.refresh_from_db()
    assert lead.stage == won


def test_crossing_sql_leaves_a_lead_someone_moved_meanwhile_where_they_put_it():
    lead = LeadFactory()
    pipeline = lead.stage.pipeline
    target = Stage.objects.get(pipeline=pipeline, name="Meeting booked")
    won = Stage.objects.get(pipeline=pipeline, kind=Stage.Kind.WON)
    _hot_settings(sql_stage=target)
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Booked")
    config = scoring_settings()
    batch = _batch_score(list(Lead.objects.filter(pk=lead.pk).values(*ROW_FIELDS)), config, _profiles(), timezone.now())
    Lead.objects.filter(pk=lead.pk).update(stage=won)  # the deal was won after the rescore read the lead
    result = RescoreResult()
    _batch_write(batch, config, result)
    lead.refresh_from_db()
    assert (result.moved, lead.stage, lead.score) == (0, won, 65)


def test_a_lost_sql_stage_moves_nobody_and_the_rescore_goes_on():
    lead = LeadFactory()
    lost = Stage.objects.get(pipeline=lead.stage.pipeline, kind=Stage.Kind.LOST)
    _hot_settings(sql_stage=lost)  # saved before such stages were refused, or a stage made lost since
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Booked")
    result = leads_rescore([lead.pk])
    lead.refresh_from_db()
    assert (result.changed, result.moved, lead.score) == (1, 0, 65)
    assert lead.stage != lost


def test_two_runs_at_once_write_a_change_once():
    lead = LeadFactory()
    leads_rescore()
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    config, profiles = scoring_settings(), _profiles()
    rows = list(Lead.objects.filter(pk=lead.pk).values(*ROW_FIELDS))
    # Both runs read the lead before either wrote: the second finds the score changed under it and leaves it.
    first, second = (_batch_score(rows, config, profiles, timezone.now()) for _ in range(2))
    results = [RescoreResult(), RescoreResult()]
    _batch_write(first, config, results[0])
    _batch_write(second, config, results[1])
    assert [result.changed for result in results] == [1, 0]
    assert ScoreSnapshot.objects.filter(lead=lead).count() == 2  # the first score, and the reply's
