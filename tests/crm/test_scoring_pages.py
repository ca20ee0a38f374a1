"""Scoring pages: the settings tab (everyone looks, managers change), Rescore all, the lead page's Score panel and
the leads table's score column, sort and filters."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.models import Activity, IdealCustomerProfile, ScoreSnapshot, ScoringSettings, Stage
from crm.rescoring import leads_rescore
from crm.services.pipelines import pipeline_default
from crm.services.scores import lead_ai_fit_set, profile_save, scoring_settings_update
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

SETTINGS = {
    "weight_fit": "10",
    "weight_completeness": "0",
    "weight_engagement": "90",
    "weight_recency": "0",
    "weight_ai": "0",
    "mql_threshold": "20",
    "sql_threshold": "60",
    "promote_at_mql": "on",
    "stage": "",
    "save_settings": "1",
}


def test_everyone_may_look_at_the_scoring_settings(client, rep_alice, viewer_vic):
    for person in (rep_alice, viewer_vic):
        client.force_login(person)
        page = client.get(reverse("crm:settings_scoring"))
        assert page.status_code == 200
        assert b"Rescore all" not in page.content  # only managers and admins may press it
        assert b"<fieldset disabled>" in page.content


def test_a_rep_cannot_change_scoring(client, rep_alice):
    client.force_login(rep_alice)
    assert client.post(reverse("crm:settings_scoring"), SETTINGS).status_code == 403
    assert client.post(reverse("crm:scoring_rescore_all")).status_code == 403
    assert not ScoringSettings.objects.exists()


def test_a_manager_changes_the_weights_and_every_lead_is_rescored(
    client, manager_mia, django_capture_on_commit_callbacks
):
    lead = LeadFactory()
    leads_rescore()
    Activity.objects.create(lead=lead, kind=Activity.Kind.REPLIED, summary="Replied")
    client.force_login(manager_mia)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("crm:settings_scoring"), SETTINGS)
    assert response.status_code == 302
    record = ScoringSettings.objects.get()
    assert (record.weight_engagement, record.sql_threshold, record.updated_by) == (90, 60, manager_mia)
    lead.refresh_from_db()
    # neutral fit 50 at 10%, a reply's 25 at 90%: the queued rescore ran after the commit
    assert lead.score == round((50 * 10 + 25 * 90) / 100)


@pytest.mark.parametrize(
    "changes",
    [
        {"weight_fit": "101"},
        {"mql_threshold": "70", "sql_threshold": "60"},
        {"stage": "abc"},
        {"stage": "99999999999999999999"},
        {"weight_fit": "0", "weight_engagement": "0"},
        {"mql_threshold": "-1"},
    ],
)
def test_odd_settings_are_refused_with_the_form_again(client, manager_mia, changes):
    client.force_login(manager_mia)
    response = client.post(reverse("crm:settings_scoring"), {**SETTINGS, **changes})
    assert response.status_code == 422
    assert not ScoringSettings.objects.exists()


def test_a_won_or_lost_stage_is_no_sql_stage(client, manager_mia):
    lost = pipeline_default().stages.get(kind=Stage.Kind.LOST)
    client.force_login(manager_mia)
    response = client.post(reverse("crm:settings_scoring"), {**SETTINGS, "stage": str(lost.pk)})
    assert response.status_code == 422
    assert not ScoringSettings.objects.exists()
    with pytest.raises(ValidationError):
        scoring_settings_update(
            actor=manager_mia, stage=lost, promote_at_mql=True, mql_threshold=50, sql_threshold=75, weight_fit=40
        )


def test_a_manager_edits_the_default_profile_as_lines_and_commas(client, manager_mia):
    client.force_login(manager_mia)
    response = client.post(
        reverse("crm:settings_scoring"),
        {
            "name": "Mid-market SaaS",
            "industries": "Software\nFintech, Software",
            "title_keywords": "sales",
            "company_size_min": "50",
            "company_size_max": "1000",
            "value_proposition": "Book more meetings.",
            "save_profile": "1",
        },
    )
    assert response.status_code == 302
    profile = IdealCustomerProfile.objects.get(pipeline__isnull=True)
    assert (profile.name, profile.industries, profile.title_keywords) == (
        "Mid-market SaaS",
        ["Software", "Fintech"],
        ["sales"],
    )


def test_a_pipeline_gets_its_own_profile(client, manager_mia):
    pipeline = pipeline_default()
    client.force_login(manager_mia)
    url = reverse("crm:settings_scoring") + f"?pipeline={pipeline.pk}"
    assert client.post(url, {"name": "Sales pipeline", "industries": "Retail", "save_profile": "1"}).status_code == 302
    assert IdealCustomerProfile.objects.get(pipeline=pipeline).industries == ["Retail"]


def test_a_double_submitted_first_profile_of_a_pipeline_is_saved_once(manager_mia):
    pipeline = pipeline_default()
    # Both requests read "no profile yet" before either saved.
    profile_save(actor=manager_mia, profile=None, pipeline=pipeline, name="Sales", industries="Retail")
    profile_save(actor=manager_mia, profile=None, pipeline=pipeline, name="Sales", industries="Retail, Food")
    assert IdealCustomerProfile.objects.get(pipeline=pipeline).industries == ["Retail", "Food"]


def test_a_profile_with_sizes_the_wrong_way_round_is_refused(client, manager_mia):
    client.force_login(manager_mia)
    data = {"name": "x", "company_size_min": "500", "company_size_max": "10", "save_profile": "1"}
    assert client.post(reverse("crm:settings_scoring"), data).status_code == 422


@pytest.mark.parametrize("pipeline", ["abc", "99999999999999999999", "424242"])
def test_an_odd_pipeline_is_not_found(client, manager_mia, pipeline):
    client.force_login(manager_mia)
    assert client.get(reverse("crm:settings_scoring") + f"?pipeline={pipeline}").status_code == 404


def test_rescore_all_queues_the_job(client, manager_mia, django_capture_on_commit_callbacks):
    lead = LeadFactory()
    client.force_login(manager_mia)
    assert client.get(reverse("crm:scoring_rescore_all")).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("crm:scoring_rescore_all")).status_code == 302
    lead.refresh_from_db()
    assert lead.score is not None


def test_the_score_panel_explains_the_score_and_draws_its_history(client, manager_mia):
    lead = LeadFactory()
    leads_rescore([lead.pk])
    Activity.objects.create(lead=lead, kind=Activity.Kind.MEETING_BOOKED, summary="Booked")
    lead_ai_fit_set(lead=lead, fit=90, reason="<b>Buys</b> tools like ours.")
    leads_rescore([lead.pk])
    client.force_login(manager_mia)
    page = client.get(reverse("crm:lead_score", args=[lead.pk]))
    html = page.content.decode()
    lead.refresh_from_db()
    assert f'<span class="score-figure">{lead.score}</span>' in html
    for name in ("Fit", "Completeness", "Engagement", "Recency"):
        assert f'<th scope="row">{name}</th>' in html
    assert "1 meeting." in html
    assert "AI opinion of the fit: 90/100, weighing 30% of the fit: &lt;b&gt;Buys&lt;/b&gt; tools like ours." in html
    assert ScoreSnapshot.objects.filter(lead=lead).count() == 2
    assert re.search(r'<polyline class="score-line" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+">', html)
    assert "style=" not in html and "<script" not in html


def test_the_lead_page_loads_the_score_panel(client, manager_mia):
    lead = LeadFactory()
    client.force_login(manager_mia)
    page = client.get(reverse("crm:lead", args=[lead.pk])).content.decode()
    assert f'hx-get="{reverse("crm:lead_score", args=[lead.pk])}"' in page


def test_an_unscored_lead_says_so(client, manager_mia):
    client.force_login(manager_mia)
    page = client.get(reverse("crm:lead_score", args=[LeadFactory().pk]))
    assert b"Not scored yet" in page.content


def test_a_rep_cannot_see_another_reps_score_and_odd_ids_are_not_found(client, rep_alice, rep_bob):
    lead = LeadFactory(owner=rep_bob)
    client.force_login(rep_alice)
    assert client.get(reverse("crm:lead_score", args=[lead.pk])).status_code == 404
    assert client.get("/leads/99999999999999999999/score/").status_code == 404


def _table(client, query: str) -> list[int]:
    return [lead.pk for lead in client.get(reverse("crm:leads") + query).context["page"]]


def test_the_table_sorts_by_score_unscored_last_and_filters_by_grade_and_minimum(client, manager_mia):
    ScoringSettings.objects.create(
        weight_fit=0, weight_completeness=0, weight_engagement=100, weight_recency=0, mql_threshold=20, sql_threshold=60
    )
    hot, warm, cold = LeadFactory(), LeadFactory(), LeadFactory()
    for kind in (Activity.Kind.REPLIED, Activity.Kind.MEETING_BOOKED):
        Activity.objects.create(lead=hot, kind=kind, summary=kind)
    Activity.objects.create(lead=warm, kind=Activity.Kind.REPLIED, summary="Replied")
    leads_rescore()
    unscored = LeadFactory()
    client.force_login(manager_mia)
    assert _table(client, "?sort=-score") == [hot.pk, warm.pk, cold.pk, unscored.pk]
    assert _table(client, "?sort=score") == [cold.pk, warm.pk, hot.pk, unscored.pk]
    assert _table(client, "?grade=hot") == [hot.pk]
    assert _table(client, "?min_score=20&sort=-score") == [hot.pk, warm.pk]
    page = client.get(reverse("crm:leads") + "?sort=-score").content.decode()
    assert '<span class="grade hot">Hot</span>' in page
    assert 'title="Not scored yet"' in page


@pytest.mark.parametrize("value", ["abc", "-5", "1e999"])
def test_an_odd_minimum_score_is_no_error(client, manager_mia, value):
    client.force_login(manager_mia)
    assert client.get(reverse("crm:leads") + f"?min_score={value}").status_code == 200
