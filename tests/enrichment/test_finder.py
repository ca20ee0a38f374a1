"""The built-in email finder as the waterfall sees it: a lead's facts in, Findings out (or ProviderFailed with a
reason), against a local DNS server and a local mail server."""

from __future__ import annotations

import pytest
from django.utils import timezone

from enrichment.models import FieldSource, ProviderAnswer
from enrichment.providers.base import EMAIL, PHONE, LeadFacts, ProviderFailed
from enrichment.providers.finder import CREDITS_PER_LEAD, find
from tests.factories import LeadFactory
from tests.fakes.smtp_server import CATCH_ALL, DROP, GREYLIST, TARPIT

WANT_EMAIL = frozenset({EMAIL})


def _ada(domain: str = "acme.test", **facts) -> LeadFacts:
    return LeadFacts(**({"first_name": "Ada", "last_name": "Lovelace", "domain": domain} | facts))


def test_it_finds_the_address_a_strict_server_accepts(mail_network):
    mail_network.mail_domain("acme.test", {"alovelace"})

    [finding] = find(_ada(), WANT_EMAIL)

    assert (finding.field, finding.value, finding.status, finding.confidence) == (
        "email",
        "alovelace@acme.test",
        "valid",
        95,
    )
    assert finding.source == "finder"
    assert finding.answer.kind == "verify" and finding.answer.key == "alovelace@acme.test"
    assert finding.detail["mx_host"] == "mx.acme.test"
    assert [tried["email"] for tried in finding.detail["tried"]] == [
        "ada.lovelace@acme.test",
        "ada@acme.test",
        "alovelace@acme.test",
    ]
    # One session: the random address, then the candidates in rank order, stopping at the first 250.
    assert mail_network.smtp.sessions == 1
    assert mail_network.smtp.recipients[1:] == ["ada.lovelace@acme.test", "ada@acme.test", "alovelace@acme.test"]
    assert CREDITS_PER_LEAD == 0


def test_the_domains_proven_pattern_is_asked_first(mail_network):
    mail_network.mail_domain("acme.test", {"a.lovelace"})
    john = LeadFactory(first_name="John", last_name="Smith")
    FieldSource.objects.create(
        lead=john, field="email", value="j.smith@acme.test", source="finder", confidence=95, status="valid"
    )

    [finding] = find(_ada(), WANT_EMAIL)

    assert finding.value == "a.lovelace@acme.test"
    assert mail_network.smtp.recipients[1:] == ["a.lovelace@acme.test"]


def test_at_a_catch_all_domain_it_offers_the_best_guess_as_catch_all(mail_network):
    mail_network.mail_domain("catchall.test", CATCH_ALL)

    [finding] = find(_ada("catchall.test"), WANT_EMAIL)

    assert (finding.value, finding.status, finding.confidence) == ("ada.lovelace@catchall.test", "catch-all", 40)
    assert finding.answer.kind == "catch-all"
    assert len(mail_network.smtp.recipients) == 1  # no candidate asked: each would be "accepted"


def test_when_every_candidate_is_refused_it_finds_nothing_after_a_handful(mail_network):
    mail_network.mail_domain("acme.test", {"someone.else"})

    assert find(_ada(), WANT_EMAIL) == []
    assert len(mail_network.smtp.recipients) == 1 + 8  # the random address and eight candidates at most
    assert ProviderAnswer.objects.filter(kind="verify", body__status="invalid").count() == 8


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [(GREYLIST, "greylisted"), (TARPIT, "no answer within 1s"), (DROP, "dropped the connection")],
)
def test_a_server_that_will_not_say_fails_the_lead_with_the_reason(mail_network, behaviour, reason):
    mail_network.mail_domain("acme.test", behaviour)

    with pytest.raises(ProviderFailed, match=reason):
        find(_ada(), WANT_EMAIL)


def test_a_domain_that_receives_no_mail_fails_the_lead(mail_network):
    mail_network.dns.zone["nomail.test"] = {}

    with pytest.raises(ProviderFailed, match=r"nomail.test receives no mail \(no MX and no A record\)"):
        find(_ada("nomail.test"), WANT_EMAIL)
    assert mail_network.smtp.sessions == 0


def test_a_private_mail_server_fails_the_lead_without_a_connection(mail_network, settings):
    settings.ENRICHMENT_ALLOW_PRIVATE_MX = False
    mail_network.mail_domain("acme.test", {"alovelace"})

    with pytest.raises(ProviderFailed, match=r"private address \(127.0.0.1\): refused"):
        find(_ada(), WANT_EMAIL)
    assert mail_network.smtp.sessions == 0


def test_a_second_search_for_the_same_lead_asks_no_server(mail_network):
    mail_network.mail_domain("acme.test", {"alovelace"})
    [first] = find(_ada(), WANT_EMAIL)
    questions, recipients = len(mail_network.dns.queries), len(mail_network.smtp.recipients)

    [again] = find(_ada(), WANT_EMAIL)

    assert (again.value, again.status, again.answer) == (first.value, first.status, first.answer)
    assert mail_network.smtp.sessions == 1
    assert len(mail_network.smtp.recipients) == recipients
    assert len(mail_network.dns.queries) == questions


def test_a_catch_all_domain_is_remembered(mail_network):
    mail_network.mail_domain("catchall.test", CATCH_ALL)
    find(_ada("catchall.test"), WANT_EMAIL)
    questions = len(mail_network.dns.queries)

    [finding] = find(_ada("catchall.test", first_name="Grace", last_name="Hopper"), WANT_EMAIL)

    assert (finding.value, finding.status) == ("grace.hopper@catchall.test", "catch-all")
    assert mail_network.smtp.sessions == 1
    assert len(mail_network.dns.queries) == questions


def test_a_greylisted_search_is_asked_again_next_time(mail_network):
    mail_network.mail_domain("grey.test", GREYLIST)
    for _ in range(2):
        with pytest.raises(ProviderFailed):
            find(_ada("grey.test"), WANT_EMAIL)
    assert mail_network.smtp.sessions == 1  # the second lead waits out the pause instead of knocking again

    ProviderAnswer.objects.filter(kind="paused").update(expires_at=timezone.now())
    with pytest.raises(ProviderFailed):
        find(_ada("grey.test"), WANT_EMAIL)
    assert mail_network.smtp.sessions == 2


def test_a_lead_with_an_email_has_it_verified(mail_network):
    mail_network.mail_domain("acme.test", {"ada"})

    [kept] = find(_ada(email="ada@acme.test"), WANT_EMAIL)
    [wrong] = find(_ada(email="ada.l@acme.test"), WANT_EMAIL)
    [shared] = find(_ada(email="sales@acme.test"), WANT_EMAIL)

    assert (kept.value, kept.status, kept.confidence) == ("ada@acme.test", "valid", 95)
    assert (wrong.value, wrong.status, wrong.confidence) == ("ada.l@acme.test", "invalid", 0)
    assert (shared.status, shared.confidence) == ("role", 30)
    assert mail_network.smtp.sessions == 2  # the role address needed no probe


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (LeadFacts(first_name="Ada", last_name="Lovelace"), "no company domain to search"),
        (LeadFacts(domain="acme.test"), "needs the person's name"),
        (_ada("gmail.com"), "free-mail domain: no company address to guess"),
        (_ada("mailinator.com"), "throw-away mail domain"),
    ],
)
def test_without_what_a_guess_needs_it_fails_the_lead_plainly(mail_network, facts, reason):
    with pytest.raises(ProviderFailed, match=reason):
        find(facts, WANT_EMAIL)
    assert mail_network.dns.queries == []


def test_a_first_name_alone_is_tried_only_as_first_at_a_domain_without_a_proven_pattern(mail_network):
    mail_network.mail_domain("small.test", {"ada"})
    [finding] = find(LeadFacts(first_name="Ada", domain="small.test"), WANT_EMAIL)
    assert finding.value == "ada@small.test"

    john = LeadFactory(first_name="John", last_name="Smith")
    FieldSource.objects.create(
        lead=john, field="email", value="john.smith@acme.test", source="finder", confidence=95, status="valid"
    )
    with pytest.raises(ProviderFailed, match="needs the person's full name"):
        find(LeadFacts(first_name="Ada", domain="acme.test"), WANT_EMAIL)


def test_it_does_nothing_unless_an_email_is_wanted(mail_network):
    assert find(_ada(), frozenset({PHONE})) == []
    assert mail_network.dns.queries == []
