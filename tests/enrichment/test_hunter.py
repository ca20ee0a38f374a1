"""Hunter.io finds a person's email with its score and verification, verifies a known address, tells what it knows of
a company, counts the credits each answer cost and never asks the same question twice while the answer is fresh;
every way it can fail ends as a clear ProviderFailed for that one lead. Against a local stand-in replaying
Hunter's documented answers."""

import logging
import socket
import threading
import time
from decimal import Decimal

import pytest

from enrichment.models import ProviderAccount, ProviderAnswer
from enrichment.providers.base import (
    COMPANY,
    EMAIL,
    LINKEDIN,
    PHONE,
    KeyRejected,
    LeadFacts,
    OutOfCredits,
    ProviderFailed,
)
from enrichment.providers.hunter import (
    find,
    hunter_api_key,
    hunter_available,
    hunter_credit_estimate,
    hunter_test_connection,
)

pytestmark = pytest.mark.django_db

KEY = "hunter-env-key-7c41d0e2a9b8"
STORED_KEY = "hunter-stored-key-55aa1290"
ALEXIS = LeadFacts(first_name="Alexis", last_name="Ohanian", company="Reddit", domain="reddit.com")
PATRICK = LeadFacts(first_name="Patrick", last_name="Collison", domain="stripe.com", email="Patrick@Stripe.com")
INTERCOM = LeadFacts(first_name="Ciaran", last_name="Lee", domain="intercom.com")
UNREADABLE = "Hunter sent an answer that could not be read"


@pytest.fixture
def hunter(hunter_stand_in, settings):
    """The stand-in, with the key in the environment."""
    settings.HUNTER_API_KEY = KEY
    return hunter_stand_in


def by_field(findings):
    return {finding.field: finding for finding in findings}


def test_it_finds_a_persons_email_with_hunters_score_and_verification(hunter):
    hunter.answers("email-finder", "email-finder")

    findings = by_field(find(ALEXIS, frozenset({EMAIL, LINKEDIN, PHONE})))

    email = findings["email"]
    assert (email.value, email.confidence, email.status, email.source) == ("alexis@reddit.com", 97, "valid", "hunter")
    assert email.detail["position"] == "Cofounder" and email.detail["sources"] == 2
    assert findings["linkedin_url"].value == "https://www.linkedin.com/in/alexisohanian"
    assert findings["phone"].value == "+14157120049"
    assert email.answer.kind == "email-finder" and email.answer.key == "reddit.com|alexis|ohanian"
    assert email.answer.credits == Decimal("1")

    (request,) = hunter.requests("email-finder")
    assert request.args.to_dict() == {"domain": "reddit.com", "first_name": "Alexis", "last_name": "Ohanian"}
    assert request.headers["X-API-KEY"] == KEY


def test_it_asks_by_company_name_when_the_lead_has_no_domain(hunter):
    hunter.answers("email-finder", "email-finder")

    find(LeadFacts(first_name="Alexis", last_name="Ohanian", company="Reddit"), frozenset({EMAIL}))

    assert hunter.requests("email-finder")[0].args["company"] == "Reddit"


def test_only_the_wanted_fields_come_back(hunter):
    hunter.answers("email-finder", "email-finder")

    assert [finding.field for finding in find(ALEXIS, frozenset({LINKEDIN}))] == ["linkedin_url"]


@pytest.mark.parametrize(("body", "status"), [("email-finder-nothing", 200), ("error-404-not-found", 404)])
def test_a_person_hunter_cannot_find_costs_nothing_and_is_not_asked_again(hunter, body, status):
    hunter.answers("email-finder", body, status=status)

    assert find(ALEXIS, frozenset({EMAIL})) == []
    assert find(ALEXIS, frozenset({EMAIL})) == []

    assert len(hunter.requests()) == 1
    assert ProviderAnswer.objects.get().credits == 0


def test_it_verifies_the_address_a_lead_already_has(hunter):
    hunter.answers("email-verifier", "email-verifier", query={"email": "patrick@stripe.com"})

    (finding,) = find(PATRICK, frozenset({EMAIL}))

    assert (finding.field, finding.value, finding.status, finding.confidence) == (
        "email",
        "patrick@stripe.com",
        "valid",
        100,
    )
    assert finding.detail["smtp_check"] is True and finding.detail["hunter_status"] == "valid"
    assert finding.answer.credits == Decimal("0.5")
    assert hunter.requests("email-finder") == []


def test_a_catch_all_domain_is_reported_as_catch_all(hunter):
    hunter.answers("email-verifier", "email-verifier-accept-all")

    (finding,) = find(LeadFacts(email="sales.team@acme-catchall.com"), frozenset({EMAIL}))

    assert (finding.status, finding.confidence) == ("catch-all", 68)


def test_the_domain_search_tells_the_companys_facts_and_its_address_pattern(hunter):
    hunter.answers("domain-search", "domain-search", query={"domain": "intercom.com", "limit": "10"})

    company = by_field(find(INTERCOM, frozenset({COMPANY})))

    assert company["company.name"].value == "Intercom"
    assert company["company.industry"].value == "Information Technology and Services"
    assert company["company.description"].value.startswith("Intercom is the only complete customer service")
    assert company["company.size"].value == "1001-5000"
    assert company["company.location"].value == "San Francisco, CA, US"
    assert company["company.location"].detail["street"] == "55 2nd Street"
    assert company["company.linkedin_url"].value == "https://linkedin.com/company/intercom"
    assert company["company.technologies"].value == "amazon-ses, google-tag-manager, hubspot, segment"
    assert company["company.technologies"].detail["technologies"][0] == "amazon-ses"
    assert set(company["company.social"].detail) == {"twitter", "facebook"}
    assert company["company.email_pattern"].value == "{first}"
    assert company["company.email_pattern"].detail["emails_known"] == 35
    assert {finding.confidence for finding in company.values()} == {80}
    assert company["company.name"].answer.credits == Decimal("1")


def test_the_same_lead_asked_again_spends_nothing(hunter):
    hunter.answers("email-finder", "email-finder")
    hunter.answers("domain-search", "domain-search")
    wanted = frozenset({EMAIL, COMPANY})

    first = find(ALEXIS, wanted)
    again = find(ALEXIS, wanted)

    assert len(hunter.requests()) == 2  # one finder, one domain search: the second find asked nothing
    assert [(f.field, f.value, f.answer.pk) for f in again] == [(f.field, f.value, f.answer.pk) for f in first]
    assert sum(answer.credits for answer in ProviderAnswer.objects.all()) == Decimal("2")


def test_the_account_says_the_plan_and_the_credits_used(hunter):
    hunter.answers("account", "account")

    assert hunter_test_connection(KEY) == "Connected: plan Starter, 120 of 500 credits used, resets 2026-12-31"
    assert hunter.requests("account")[0].headers["X-API-KEY"] == KEY


def test_an_account_on_separate_searches_and_verifications_says_both(hunter):
    body = {
        "data": {
            "plan_name": "Free",
            "reset_date": "2026-12-01",
            "requests": {"searches": {"used": 12, "available": 25}, "verifications": {"used": 3, "available": 50}},
        }
    }
    hunter.answers("account", body)

    assert hunter_test_connection(KEY) == (
        "Connected: plan Free, 12 of 25 searches and 3 of 50 verifications used, resets 2026-12-01"
    )


def test_a_rejected_key_says_so_without_repeating_the_key(hunter):
    hunter.answers("email-finder", "error-401-authentication-failed", status=401)

    with pytest.raises(KeyRejected, match=r"^Hunter rejected the API key$") as rejected:
        find(ALEXIS, frozenset({EMAIL}))

    assert KEY not in str(rejected.value)
    assert ProviderAnswer.objects.count() == 0


def test_a_throttled_request_waits_as_told_and_then_succeeds(hunter):
    hunter.answers("email-finder", "error-403-rate-limit", status=429, headers={"Retry-After": "1"}, once=True)
    hunter.answers("email-finder", "email-finder")

    (finding,) = find(ALEXIS, frozenset({EMAIL}))

    assert finding.value == "alexis@reddit.com"
    assert len(hunter.requests("email-finder")) == 2


def test_hunters_rate_limit_is_retried_with_backoff_then_fails_this_lead(hunter, slept):
    hunter.answers("email-finder", "error-403-rate-limit", status=403)

    with pytest.raises(ProviderFailed, match="rate limit") as failed:
        find(ALEXIS, frozenset({EMAIL}))

    assert type(failed.value) is ProviderFailed
    assert len(hunter.requests()) == 4
    assert slept and slept == sorted(slept)  # it waited, longer each time


def test_a_429_is_backed_off_and_asked_again(hunter, slept):
    hunter.answers("email-finder", "error-429-usage-limit", status=429, once=True)
    hunter.answers("email-finder", "email-finder")

    (finding,) = find(ALEXIS, frozenset({EMAIL}))

    assert finding.value == "alexis@reddit.com"
    assert len(hunter.requests("email-finder")) == 2 and len(slept) == 1


def test_a_used_up_plan_is_out_of_credits_once_the_429_holds(hunter, slept):
    hunter.answers("email-finder", "error-429-usage-limit", status=429)

    with pytest.raises(OutOfCredits, match=r"usage limit is reached: .*Upgrade your plan"):
        find(ALEXIS, frozenset({EMAIL}))

    assert len(hunter.requests()) == 4  # backed off three times, longer each time, before giving up
    assert slept == sorted(slept)


def test_a_429_that_holds_without_naming_the_usage_limit_fails_this_lead(hunter, slept):
    hunter.answers("email-finder", {"errors": [{"id": "too_many_requests", "code": 429, "details": "Slow down."}]},
                   status=429)  # fmt: skip

    with pytest.raises(ProviderFailed, match="rate limit") as failed:
        find(ALEXIS, frozenset({EMAIL}))

    assert type(failed.value) is ProviderFailed


def test_a_failing_hunter_is_retried_then_fails_this_lead_and_nothing_is_cached(hunter, slept):
    hunter.answers_raw(
        "email-finder", "<html><body>502 Bad Gateway</body></html>", status=502, content_type="text/html"
    )

    with pytest.raises(ProviderFailed, match=r"Hunter failed \(HTTP 502\)"):
        find(ALEXIS, frozenset({EMAIL}))

    assert len(hunter.requests()) == 4
    assert ProviderAnswer.objects.count() == 0


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(("<!doctype html><title>Maintenance</title>", "text/html"), id="an HTML page"),
        pytest.param(('{"data": {"email": "alexis@reddit.com", "sco', "application/json"), id="truncated JSON"),
        pytest.param(('[{"email": "alexis@reddit.com"}]', "application/json"), id="a list"),
        pytest.param(('{"data": "alexis@reddit.com"}', "application/json"), id="data that is not an object"),
        pytest.param(
            ('{"data": {"email": "alexis@reddit.com", "score": "high"}}', "application/json"), id="a word score"
        ),
        pytest.param(('{"data": {"email": "not an address", "score": 90}}', "application/json"), id="no address"),
        pytest.param(('{"meta": {}}', "application/json"), id="no data"),
    ],
)
def test_an_answer_that_cannot_be_read_fails_this_lead_and_is_not_cached(hunter, answer):
    text, content_type = answer
    hunter.answers_raw("email-finder", text, content_type=content_type)

    with pytest.raises(ProviderFailed, match=f"^{UNREADABLE}$"):
        find(ALEXIS, frozenset({EMAIL}))

    assert ProviderAnswer.objects.count() == 0


def test_a_company_search_of_the_wrong_shape_cannot_be_read(hunter):
    hunter.answers("domain-search", {"data": {"organization": "Intercom", "technologies": "hubspot"}})

    with pytest.raises(ProviderFailed, match=f"^{UNREADABLE}$"):
        find(INTERCOM, frozenset({COMPANY}))


def test_a_lead_with_only_a_first_name_fails_with_hunters_own_words(hunter):
    hunter.answers(
        "email-finder", "error-400-wrong-params", status=400, query={"domain": "reddit.com", "first_name": "Alexis"}
    )

    with pytest.raises(ProviderFailed, match="You are missing the last_name parameter"):
        find(LeadFacts(first_name="Alexis", domain="reddit.com"), frozenset({EMAIL}))


def test_a_claimed_address_is_left_alone(hunter):
    hunter.answers("email-verifier", "error-451-claimed-email", status=451)

    with pytest.raises(ProviderFailed, match=r"claimed by its owner.*stop the processing"):
        find(PATRICK, frozenset({EMAIL}))


def test_a_hunter_that_cannot_be_reached_fails_this_lead(hunter, settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.HUNTER_BASE_URL = f"http://localhost:{port}/v2"

    with pytest.raises(ProviderFailed, match=r"^Hunter could not be reached \(ConnectionError\)\.$"):
        find(ALEXIS, frozenset({EMAIL}))


def test_a_hunter_that_does_not_answer_in_time_fails_this_lead(hunter, settings):
    settings.HTTP_TIMEOUT = 0.2
    release = threading.Event()
    hunter.server.expect_request("/v2/email-finder").respond_with_handler(lambda request: release.wait(5))

    try:
        with pytest.raises(ProviderFailed, match=r"could not be reached \(ReadTimeout\)"):
            find(ALEXIS, frozenset({EMAIL}))
    finally:
        release.set()
        # The server finishes the abandoned request before the next test starts, so that it is not in that one's log.
        deadline = time.monotonic() + 5
        while not hunter.server.log and time.monotonic() < deadline:
            time.sleep(0.01)


def test_a_base_url_on_a_private_address_is_refused(hunter, settings):
    settings.HTTP_ALLOW_PRIVATE_HOSTS = []

    with pytest.raises(ProviderFailed, match="could not be reached"):
        find(ALEXIS, frozenset({EMAIL}))

    assert hunter.requests() == []


def test_the_key_is_never_logged(hunter, caplog):
    caplog.set_level(logging.DEBUG)
    hunter.answers("email-finder", "error-401-authentication-failed", status=401)
    hunter.answers("domain-search", "domain-search")

    find(INTERCOM, frozenset({COMPANY}))
    with pytest.raises(KeyRejected):
        find(ALEXIS, frozenset({EMAIL}))

    assert "domain-search" in caplog.text and KEY not in caplog.text


def test_the_key_in_the_environment_wins_over_the_saved_one(hunter, settings):
    ProviderAccount.objects.create(provider="hunter", api_key=STORED_KEY)
    hunter.answers("email-finder", "email-finder")

    find(ALEXIS, frozenset({EMAIL}))
    settings.HUNTER_API_KEY = ""
    hunter.server.clear_log()
    find(LeadFacts(first_name="Alexis", last_name="Ohanian", domain="redditinc.com"), frozenset({EMAIL}))

    assert hunter_api_key() == STORED_KEY
    assert hunter.requests()[0].headers["X-API-KEY"] == STORED_KEY


def test_without_a_key_hunter_is_off_and_asks_nothing(hunter, settings):
    settings.HUNTER_API_KEY = ""
    ProviderAccount.objects.create(provider="hunter", api_key=STORED_KEY, enabled=False)

    assert not hunter_available()
    assert find(ALEXIS, frozenset({EMAIL, COMPANY})) == []
    assert hunter.requests() == []


def test_a_lead_with_no_name_or_no_company_asks_no_person_question(hunter):
    assert find(LeadFacts(first_name="Alexis", last_name="Ohanian"), frozenset({EMAIL})) == []
    assert find(LeadFacts(domain="reddit.com"), frozenset({EMAIL, LINKEDIN})) == []
    assert hunter.requests() == []


@pytest.mark.parametrize(
    ("wanted", "lead_has_email", "credits"),
    [
        ({EMAIL}, False, "1"),
        ({EMAIL}, True, "0.5"),
        ({EMAIL, COMPANY}, False, "2"),
        ({LINKEDIN, PHONE}, True, "1"),
        ({EMAIL, LINKEDIN}, True, "1.5"),
        (set(), False, "0"),
    ],
)
def test_the_estimate_counts_the_most_each_lead_can_cost(wanted, lead_has_email, credits):
    assert hunter_credit_estimate(frozenset(wanted), lead_has_email) == Decimal(credits)


def test_a_verification_still_running_is_asked_again_next_time(hunter):
    hunter.answers_raw("email-verifier", "", status=202, content_type="text/plain")

    with pytest.raises(ProviderFailed, match="still verifying"):
        find(PATRICK, frozenset({EMAIL}))

    assert ProviderAnswer.objects.count() == 0


def test_a_wrong_base_url_is_not_mistaken_for_found_nothing(hunter):
    hunter.server.expect_request("/v2/email-finder").respond_with_data("Not Found", status=404)

    with pytest.raises(ProviderFailed, match=r"^Hunter refused the request \(HTTP 404\)\.$"):
        find(ALEXIS, frozenset({EMAIL}))


def test_an_answer_too_large_to_read_fails_this_lead(hunter, settings):
    settings.HTTP_MAX_BYTES = 1000
    hunter.answers("domain-search", "domain-search")

    with pytest.raises(ProviderFailed, match="too large to read"):
        find(INTERCOM, frozenset({COMPANY}))
