"""The capture pages: who sees and changes what, campaigns set up and run from the page, campaigns as YAML, and a
lead's origin on its page."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm.models import Activity, Lead
from scraping.campaign_files import campaigns_export, campaigns_load
from scraping.models import AdDelivery, Campaign, ScrapeRun, Source
from scraping.promotion import contact_promote_by_score
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS = """
- name: SaaS founders Berlin
  source: phantombuster
  agent: "4512378"
  list: Berlin founders
  enter_as: contact
  schedule: daily 07:00
- name: Plumbers in Leeds
  source: website
  start_urls: ["https://directory.example/plumbers/leeds"]
  item: "div.listing"
  fields: {company: "h2", phone: ".tel", website: "a.site@href", location: ".addr"}
  next_page: "a.next@href"
  max_pages: 20
"""


def test_campaigns_load_from_yaml_and_export_the_same(manager_mia):
    report = campaigns_load(CAMPAIGNS, actor=manager_mia)
    assert report.created == ["SaaS founders Berlin", "Plumbers in Leeds"]
    berlin = Campaign.objects.get(name="SaaS founders Berlin")
    assert (berlin.source.kind, berlin.target, berlin.lead_list.name) == (
        "phantombuster",
        {"agent": "4512378"},
        "Berlin founders",
    )
    assert berlin.schedule == "daily 07:00" and berlin.next_run_at is not None
    leeds = Campaign.objects.get(name="Plumbers in Leeds")
    assert leeds.target["fields"]["website"] == "a.site@href" and leeds.target["max_pages"] == 20
    again = campaigns_load(campaigns_export(Campaign.objects.all()), actor=manager_mia)
    assert again.updated == ["Plumbers in Leeds", "SaaS founders Berlin"] and not again.created
    assert Campaign.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- name: X\n  source: myspace\n", "Unknown source"),
        ("- name: X\n  source: website\n  schedule: sometimes\n", "Unknown schedule"),
        ("name: X\n", "must be a list"),
        ("- [unclosed\n", "not valid YAML"),
        ("- source: website\n", "needs a name"),
    ],
)
def test_a_wrong_file_says_which_campaign_and_changes_nothing(manager_mia, text, says):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=says):
        campaigns_load(
            "- name: Fine\n  source: website\n" + text if text.startswith("- name: X") else text, actor=manager_mia
        )
    assert Campaign.objects.count() == 0


def test_reps_may_not_load_campaigns(rep_alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="managers and admins"):
        campaigns_load(CAMPAIGNS, actor=rep_alice)


def test_the_load_command_prints_what_it_did(tmp_path, admin_ada, capsys):
    path = tmp_path / "campaigns.yaml"
    path.write_text(CAMPAIGNS)
    call_command("load_campaigns", str(path))
    assert "Created 2, updated 0 campaign(s)." in capsys.readouterr().out


def test_the_sources_page_shows_each_campaigns_health(client, manager_mia):
    campaigns_load(CAMPAIGNS, actor=manager_mia)
    berlin = Campaign.objects.get(name="SaaS founders Berlin")
    ScrapeRun.objects.create(campaign=berlin, status="done", rows_fetched=10, leads_created=8, leads_skipped=2)
    ScrapeRun.objects.create(campaign=berlin, status="failed", error="PhantomBuster rejected the API key")
    client.force_login(manager_mia)
    page = client.get(reverse("scraping:sources"))
    assert page.status_code == 200
    health = {campaign.name: entry for campaign, entry in page.context["rows"]}
    entry = health["SaaS founders Berlin"]
    assert (entry.leads_week, entry.duplicate_rate, entry.error_rate, entry.failing) == (8, 20, 50, True)
    assert b"PhantomBuster rejected the API key" in page.content and b"<polyline" in page.content


def test_reps_do_not_see_sources_and_viewers_cannot_run_them(client, rep_alice, viewer_vic, manager_mia):
    campaigns_load(CAMPAIGNS, actor=manager_mia)
    campaign = Campaign.objects.first()
    client.force_login(rep_alice)
    assert client.get(reverse("scraping:sources")).status_code == 403
    client.force_login(viewer_vic)
    assert client.get(reverse("scraping:sources")).status_code == 200
    assert client.post(reverse("scraping:campaign_run", args=[campaign.pk])).status_code == 403
    assert client.post(reverse("scraping:campaign_pause", args=[campaign.pk])).status_code == 403
    assert client.get(reverse("scraping:campaign_new")).status_code == 403


def test_a_manager_sets_up_a_source_whose_secrets_are_never_shown_again(client, manager_mia):
    client.force_login(manager_mia)
    form = {"kind": "phantombuster", "name": "PB", "secret_api_key": "pb-secret-123456"}
    response = client.post(reverse("scraping:source_new"), form)
    source = Source.objects.get(name="PB")
    assert response.url == reverse("scraping:source", args=[source.pk])
    assert source.credential("api_key") == "pb-secret-123456"
    page = client.get(response.url).content.decode()
    assert "pb-secret-123456" not in page and "Leave empty to keep it" in page
    client.post(response.url, {"kind": "phantombuster", "name": "PB", "secret_api_key": ""})
    source.refresh_from_db()
    assert source.credential("api_key") == "pb-secret-123456"


def test_a_manager_creates_a_campaign_on_its_page(client, manager_mia):
    source = Source.objects.create(kind="website", name="Web")
    client.force_login(manager_mia)
    form = {
        "name": "Dentists", "source": source.pk, "target_text": "start_urls: [https://dir.example/]\nitem: li",
        "enter_as": "contact", "schedule": "weekly mon 7:00", "promote_at_score": 0,
    }  # fmt: skip
    response = client.post(reverse("scraping:campaign_new"), form)
    campaign = Campaign.objects.get(name="Dentists")
    assert response.status_code == 302 and campaign.target == {"start_urls": ["https://dir.example/"], "item": "li"}
    assert campaign.schedule == "weekly mon 07:00" and campaign.created_by == manager_mia
    bad = client.post(reverse("scraping:campaign_new"), {**form, "name": "Bad", "target_text": "- a list"})
    assert bad.status_code == 422 and not Campaign.objects.filter(name="Bad").exists()


def test_run_now_starts_a_run_and_a_second_click_is_refused(client, manager_mia, django_capture_on_commit_callbacks):
    campaign = Campaign.objects.create(name="Dir", source=Source.objects.create(kind="website", name="Web"))
    client.force_login(manager_mia)
    response = client.post(reverse("scraping:campaign_run", args=[campaign.pk]))
    run = campaign.runs.get()
    assert response.url == reverse("scraping:run", args=[run.pk])
    second = client.post(reverse("scraping:campaign_run", args=[campaign.pk]), follow=True)
    assert b"already running" in second.content and campaign.runs.count() == 1


def test_a_lead_page_shows_the_run_or_ad_form_it_came_from(client, manager_mia):
    campaign = Campaign.objects.create(name="Dir", source=Source.objects.create(kind="website", name="Web"))
    lead = LeadFactory()
    from crm.models import ImportJob

    job = ImportJob.objects.create(original_name="Dir run.csv", status="done")
    Lead.objects.filter(pk=lead.pk).update(import_job=job)
    run = ScrapeRun.objects.create(campaign=campaign, status="done")
    run.import_jobs.add(job)
    meta = Source.objects.create(kind="meta", name="Spring ads")
    AdDelivery.objects.create(source=meta, platform_lead_id="123", lead=lead, origin={"form_id": "987", "ad_id": "55"})
    client.force_login(manager_mia)
    assert b"lead-origin" in client.get(reverse("crm:lead", args=[lead.pk])).content
    panel = client.get(reverse("scraping:lead_origin", args=[lead.pk])).content.decode()
    assert f"run #{run.pk}" in panel and "Dir" in panel and "Spring ads" in panel and "987" in panel


def test_a_contact_becomes_a_lead_by_hand_and_by_its_campaigns_score(client, manager_mia, settings):
    contact = LeadFactory(lifecycle="contact", owner=manager_mia)
    client.force_login(manager_mia)
    client.post(reverse("crm:lead_promote", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.lifecycle == "lead"
    assert Activity.objects.get(lead=contact, kind="promoted").summary == "Became a lead: promoted by hand"

    settings.CAPTURE_PROMOTE_AT_SCORE = 70
    scored = LeadFactory(lifecycle="contact", score=69)
    assert not contact_promote_by_score(scored)
    scored.score = 70
    assert contact_promote_by_score(scored)
    assert Lead.objects.get(pk=scored.pk).lifecycle == "lead"


def test_only_managers_export_campaigns_whose_targets_may_hold_secrets(client, viewer_vic, manager_mia):
    campaigns_load(CAMPAIGNS, actor=manager_mia)
    client.force_login(viewer_vic)
    assert client.get(reverse("scraping:campaigns_file")).status_code == 403
    client.force_login(manager_mia)
    exported = client.get(reverse("scraping:campaigns_file"))
    assert exported.status_code == 200 and b"SaaS founders Berlin" in exported.content
