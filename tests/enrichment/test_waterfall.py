"""The waterfall against local stand-ins that speak the real protocols: free sources first, Hunter only for what they
could not make sure of, every value kept with its source, and nothing paid for twice."""

from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Lead
from enrichment.answers import answer_record
from enrichment.config import waterfall_settings
from enrichment.jobs import enrichment_job_create
from enrichment.models import EnrichmentItem, FieldSource
from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.hunter_server import hunter_body
from tests.fakes.smtp_server import CATCH_ALL

pytestmark = pytest.mark.django_db

SOURCES = ["phone", "finder", "hunter"]


@pytest.fixture
def hunter(hunter_stand_in, settings):
    settings.HUNTER_API_KEY = "test-key-0123456789"
    return hunter_stand_in


@pytest.fixture
def enrich(django_capture_on_commit_callbacks, manager_mia):
    def start(*leads, fields=("email",), sources=SOURCES, actor=manager_mia):
        with django_capture_on_commit_callbacks(execute=True):
            chosen = Lead.objects.filter(pk__in=[lead.pk for lead in leads])
            job = enrichment_job_create(actor=actor, leads=chosen, fields=list(fields), sources=list(sources))
        job.refresh_from_db()
        for lead in leads:
            lead.refresh_from_db()
        return job

    return start


def _person(domain: str, first="Jane", last="Smith", **extra) -> Lead:
    company = CompanyFactory(domain=domain, website="")
    return LeadFactory(first_name=first, last_name=last, email="", company=company, website="", **extra)


def _hunter_finds(hunter, email: str, score: int = 97, status: str = "valid") -> None:
    body = hunter_body("email-finder")
    body["data"].update({"email": email, "score": score, "verification": {"date": "2026-11-30", "status": status}})
    body["data"].update({"linkedin_url": None, "phone_number": None})
    hunter.answers("email-finder", body)


def test_the_free_finder_verifies_an_address_and_hunter_is_never_asked(mail_network, hunter, enrich):
    mail_network.mail_domain("acme.test", {"jane.smith", "bob"})
    lead = _person("acme.test")
    job = enrich(lead)
    assert lead.email == "jane.smith@acme.test"
    kept = FieldSource.objects.get(lead=lead, field="email")
    assert (kept.source, kept.status, kept.confidence, kept.applied) == ("finder", "valid", 95, True)
    assert hunter.requests("email-finder") == [] and job.credits_used == 0
    assert job.breakdown == {"emails_found": 1, "emails_verified": 1}


def test_a_catch_all_guess_is_kept_aside_and_hunter_is_asked_for_a_sure_one(mail_network, hunter, enrich):
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    _hunter_finds(hunter, "jsmith@catchall.test")
    lead = _person("catchall.test")
    job = enrich(lead)
    assert lead.email == "jsmith@catchall.test"
    guess = FieldSource.objects.get(lead=lead, source="finder")
    assert (guess.status, guess.applied) == ("catch-all", False)
    found = FieldSource.objects.get(lead=lead, source="hunter", field="email")
    assert (found.status, found.confidence, found.applied, found.answer.credits) == ("valid", 97, True, 1)
    assert job.credits_used == Decimal(1)


def test_a_guess_never_becomes_the_leads_email(mail_network, hunter, enrich):
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    _hunter_finds(hunter, "jsmith@catchall.test", score=62, status="accept_all")
    lead = _person("catchall.test")
    enrich(lead)
    assert lead.email == ""
    assert set(FieldSource.objects.filter(lead=lead).values_list("status", flat=True)) == {"catch-all"}
    outcome = EnrichmentItem.objects.get(lead=lead).outcome
    assert "none sure enough" in outcome


def test_enriching_again_spends_nothing_and_probes_nothing(mail_network, hunter, enrich):
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    _hunter_finds(hunter, "jsmith@catchall.test")
    first, again = _person("catchall.test"), _person("catchall.test", first="Jane", last="Smith")
    enrich(first)
    sessions, asked = mail_network.smtp.sessions, len(hunter.requests("email-finder"))
    job = enrich(again)
    assert again.email == ""  # the first lead has the address: the second would be its duplicate
    assert FieldSource.objects.get(lead=again, source="hunter").detail["duplicate_of"] == first.pk
    assert mail_network.smtp.sessions == sessions and len(hunter.requests("email-finder")) == asked
    assert job.credits_used == 0


def test_a_rejected_key_stops_hunter_for_the_job_and_the_free_sources_go_on(mail_network, hunter, enrich):
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    mail_network.mail_domain("acme.test", {"ann.lee"})
    hunter.answers("email-finder", "error-401-authentication-failed", status=401)
    leads = [
        _person("catchall.test"),
        _person("catchall.test", first="Tom", last="Ray"),
        _person("acme.test", "Ann", "Lee"),
    ]
    job = enrich(*leads)
    assert len(hunter.requests("email-finder")) == 1
    outcomes = [EnrichmentItem.objects.get(lead=lead).outcome for lead in leads]
    assert "Hunter rejected the API key" in outcomes[0] and "Hunter rejected the API key" in outcomes[1]
    assert leads[2].email == "ann.lee@acme.test"
    assert job.status == "done"


def test_past_the_monthly_cap_paid_lookups_stop(mail_network, hunter, enrich):
    settings_row = waterfall_settings()
    settings_row.monthly_credit_cap = 5
    settings_row.save()
    answer_record("hunter", "email-finder", "spent|earlier", {}, credits=5)
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    lead = _person("catchall.test")
    enrich(lead)
    assert hunter.requests("email-finder") == []
    assert "monthly credit cap reached" in EnrichmentItem.objects.get(lead=lead).outcome


def test_credits_of_last_month_do_not_count(mail_network, hunter, enrich):
    settings_row = waterfall_settings()
    settings_row.monthly_credit_cap = 5
    settings_row.save()
    old = answer_record("hunter", "email-finder", "spent|earlier", {}, credits=5)
    old.created_at = timezone.now() - timezone.timedelta(days=40)
    old.save()
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    _hunter_finds(hunter, "jsmith@catchall.test")
    lead = _person("catchall.test")
    enrich(lead)
    assert lead.email == "jsmith@catchall.test"


def test_bad_input_ends_as_each_leads_outcome(mail_network, hunter, enrich, settings):
    settings.HUNTER_API_KEY = ""
    mail_network.dns.zone["nomail.test"] = {}
    mail_network.mail_domain("acme.test", {"jane.smith"})
    no_mail = _person("nomail.test")
    first_name_only = _person("acme.test", first="Jane", last="")
    fine = _person("acme.test")
    job = enrich(no_mail, first_name_only, fine)
    assert job.status == "done" and job.progress_done == 3
    assert "nomail.test" in EnrichmentItem.objects.get(lead=no_mail).outcome
    assert EnrichmentItem.objects.get(lead=first_name_only).status in ("done", "failed")
    assert fine.email == "jane.smith@acme.test"


def test_a_lead_with_an_address_has_it_checked_for_free_and_kept(mail_network, hunter, enrich):
    mail_network.mail_domain("acme.test", {"jane.smith"})
    lead = _person("acme.test")
    lead.email = "jane.smith@acme.test"
    lead.save()
    job = enrich(lead)
    checked = FieldSource.objects.get(lead=lead, field="email")
    assert (checked.source, checked.status, checked.applied) == ("finder", "valid", True)
    assert hunter.requests("email-verifier") == [] and job.credits_used == 0


def test_overwrite_replaces_a_typed_address_with_a_verified_one(
    mail_network, hunter, django_capture_on_commit_callbacks, manager_mia
):
    mail_network.mail_domain("acme.test", {"jane.smith"})
    lead = _person("acme.test")
    lead.email = "typo@acme.test"
    lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        enrichment_job_create(
            actor=manager_mia,
            leads=Lead.objects.filter(pk=lead.pk),
            fields=["email"],
            sources=["finder"],
            overwrite=True,
        )
    lead.refresh_from_db()
    # Replacing means searching afresh, as if the typed address were not there.
    assert lead.email == "jane.smith@acme.test"
    assert FieldSource.objects.get(lead=lead, field="email").applied


@pytest.fixture
def sites(local_stand_ins, monkeypatch):
    from leadflow.http import RobotsCache
    from tests.fakes.company_sites import CompanySites

    monkeypatch.setattr("leadflow.http._robots_cache", RobotsCache())
    server = CompanySites().start()
    yield server
    server.stop()


def test_a_company_website_fills_the_company_and_its_team_becomes_new_contacts(sites, enrich, manager_mia):
    acme = CompanyFactory(
        name="Acme Widgets", domain="acme-widgets.com", website=sites.url("acme/"), description="", industry=""
    )
    jane = LeadFactory(
        first_name="Jane", last_name="Doe", email="", phone="", linkedin_url="", company=acme, website=""
    )
    job = enrich(jane, fields=("linkedin", "company"), sources=["website"])
    acme.refresh_from_db()
    assert acme.description == "Industrial widgets for factories since 1952."
    assert (acme.industry, acme.size) == ("Industrial Machinery", "51-200")
    assert acme.linkedin_url == "https://www.linkedin.com/company/acme-widgets"
    assert jane.linkedin_url.startswith("https://www.linkedin.com/in/jane-doe")
    # The other people of the team page are new contacts at Acme, each saying where they came from.
    team = Lead.objects.filter(company=acme).exclude(pk=jane.pk)
    assert {(lead.first_name, lead.last_name, lead.source) for lead in team} == {
        ("Bob", "Smith", "website"),
        ("Carla", "Gómez", "website"),
    }
    assert all(FieldSource.objects.filter(lead=lead, field="person", source="website").exists() for lead in team)
    assert job.breakdown["people_added"] == 2 and job.breakdown["companies_enriched"] == 1
    # Enriching again adds nobody twice and reads the site no more.
    requests_before = len(sites.requested_paths())
    enrich(jane, fields=("linkedin", "company"), sources=["website"])
    assert Lead.objects.filter(company=acme).count() == 3
    assert len(sites.requested_paths()) == requests_before


def test_a_site_redirecting_to_a_private_address_is_that_leads_outcome(sites, enrich):
    lead = _person("redirecting.test")
    lead.company.website = sites.url("redirecting-co/")
    lead.company.save()
    job = enrich(lead, fields=("company",), sources=["website"])
    assert job.status == "done"
    assert "private address" in EnrichmentItem.objects.get(lead=lead).outcome


def test_a_profile_another_lead_has_is_kept_aside_as_a_duplicate(sites, enrich):
    acme = CompanyFactory(name="Acme Widgets", domain="acme-widgets.com", website=sites.url("acme/"))
    jane = LeadFactory(first_name="Jane", last_name="Doe", email="", linkedin_url="", company=acme, website="")
    twin = LeadFactory(first_name="J.", last_name="Doe", linkedin_url="https://www.linkedin.com/in/jane-doe-acme")
    enrich(jane, fields=("linkedin",), sources=["website"])
    assert jane.linkedin_url == ""
    found = FieldSource.objects.get(lead=jane, field="linkedin_url")
    assert (found.applied, found.detail["duplicate_of"]) == (False, twin.pk)


def test_a_social_page_typed_as_the_website_is_no_company_domain(mail_network, hunter, enrich):
    from enrichment.waterfall import lead_facts

    lead = LeadFactory(email="", website="https://www.facebook.com/acmewidgets", company=None)
    facts = lead_facts(lead)
    assert (facts.domain, facts.website) == ("", "")
    enrich(lead, sources=["finder"])
    assert "no company domain" in EnrichmentItem.objects.get(lead=lead).outcome


def test_the_estimate_counts_hunter_only_when_it_has_a_key(hunter, settings, manager_mia):
    from enrichment.jobs import credits_estimate

    leads = [_person("acme.test"), _person("acme.test", first="Tom", last="Ray")]
    chosen = Lead.objects.filter(pk__in=[lead.pk for lead in leads])
    assert credits_estimate(chosen, ["email"], []) == Decimal(2)  # one email-finder call each, at most
    settings.HUNTER_API_KEY = ""
    assert credits_estimate(chosen, ["email"], []) == 0


def test_hunter_verifies_an_address_the_free_finder_could_not(mail_network, hunter, enrich):
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    hunter.answers("email-verifier", "email-verifier")
    lead = _person("catchall.test")
    lead.email = "jane@catchall.test"
    lead.save()
    job = enrich(lead)
    statuses = dict(FieldSource.objects.filter(lead=lead, field="email").values_list("source", "status"))
    assert statuses["finder"] == "catch-all" and "hunter" in statuses
    assert len(hunter.requests("email-verifier")) == 1
    assert job.credits_used == FieldSource.objects.get(lead=lead, source="hunter").answer.credits


def test_a_companys_facts_bought_once_are_counted_once(hunter, enrich):
    hunter.answers("domain-search", "domain-search")
    leads = [_person("reddit.com", first=name, last="Lee") for name in ("Ann", "Bo", "Cy")]
    job = enrich(*leads, fields=("company",), sources=["hunter"])
    assert len(hunter.requests("domain-search")) == 1
    assert job.credits_used == Decimal(1)


def test_a_free_mail_address_is_not_probed(mail_network, hunter, enrich):
    lead = _person("acme.test")
    lead.email = "jane.smith@gmail.com"
    lead.save()
    enrich(lead, sources=["finder"])
    checked = FieldSource.objects.get(lead=lead, field="email")
    assert (checked.status, checked.detail["webmail"]) == ("unknown", True)
    assert mail_network.smtp.sessions == 0


def test_sessions_to_one_mail_server_are_spaced_out(mail_network, settings, slept):
    from enrichment.providers.base import LeadFacts
    from enrichment.providers.finder import find

    settings.ENRICHMENT_SMTP_RATE_PER_HOST = 2
    mail_network.mail_domain("acme.test", {"ann.lee", "bo.lee"})
    find(LeadFacts(first_name="Ann", last_name="Lee", domain="acme.test"), frozenset({"email"}))
    find(LeadFacts(first_name="Bo", last_name="Lee", domain="acme.test"), frozenset({"email"}))
    assert mail_network.smtp.sessions == 2
    assert slept and 0 < max(slept) <= 0.5  # the second session waited its turn at mx.acme.test


def test_a_number_a_website_found_gets_the_phone_facts(sites, enrich):
    acme = CompanyFactory(name="Acme Widgets", domain="acme-widgets.com", website=sites.url("acme/"))
    jane = LeadFactory(first_name="Jane", last_name="Doe", email="", phone="", company=acme, website="")
    enrich(jane, fields=("phone",), sources=["website"])
    found = FieldSource.objects.get(lead=jane, field="phone", source="website")
    assert found.value == "+16145550111" and found.status in ("fixed_or_mobile", "fixed_line", "mobile")
    assert found.detail["region"] == "US"


def test_company_facts_a_job_fills_are_on_the_leads_timeline(sites, enrich):
    from crm.models import Activity

    acme = CompanyFactory(name="Acme Widgets", domain="acme-widgets.com", website=sites.url("acme/"), description="")
    jane = LeadFactory(first_name="Jane", last_name="Doe", company=acme, website="")
    enrich(jane, fields=("company",), sources=["website"])
    assert Activity.objects.filter(lead=jane, kind="enriched", summary__startswith="Enriched Acme Widgets").exists()
