"""Verifying one address offline: syntax, throw-away and role mailboxes, the domain's mail hosts (with RFC 5321's
A-record fallback and RFC 7505's null MX), and an SMTP RCPT probe that never sends a message."""

from __future__ import annotations

from django.utils import timezone

from enrichment.dns import mail_hosts
from enrichment.models import ProviderAnswer
from enrichment.providers.email_verify import verify_email
from tests.fakes.smtp_server import BLOCKED, CATCH_ALL, DROP, GREYLIST, TARPIT, TarpitServer


def test_a_mailbox_the_server_accepts_is_valid(mail_network):
    mail_network.mail_domain("acme.test", {"jane.doe"})

    verdict = verify_email("Jane.Doe@acme.test")

    assert (verdict.status, verdict.confidence) == ("valid", 95)
    assert verdict.email == "jane.doe@acme.test"
    assert verdict.mx_host == "mx.acme.test"
    assert verdict.answer.kind == "verify" and verdict.answer.body["code"] == 250


def test_the_probe_greets_with_the_configured_name_and_sender_and_asks_a_random_address_first(mail_network):
    mail_network.mail_domain("acme.test", {"jane.doe"})

    verify_email("jane.doe@acme.test")

    smtp = mail_network.smtp
    assert smtp.greetings == ["probe.leadflow.test"]
    assert smtp.senders == ["verify@leadflow.test"]
    random_address, asked = smtp.recipients
    assert random_address.endswith("@acme.test") and len(random_address.partition("@")[0]) == 20
    assert asked == "jane.doe@acme.test"


def test_a_mailbox_the_server_refuses_is_invalid(mail_network):
    mail_network.mail_domain("acme.test", {"jane.doe"})

    verdict = verify_email("john.roe@acme.test")

    assert (verdict.status, verdict.confidence) == ("invalid", 0)
    assert "no such mailbox (550)" in verdict.reason


def test_a_domain_that_accepts_a_random_address_is_catch_all(mail_network):
    mail_network.mail_domain("catchall.test", CATCH_ALL)

    verdict = verify_email("anyone@catchall.test")

    assert (verdict.status, verdict.confidence) == ("catch-all", 40)
    assert verdict.answer.kind == "catch-all" and verdict.answer.body["catch_all"] is True
    assert len(mail_network.smtp.recipients) == 1  # the random address told all there was to know


def test_greylisting_is_unknown_and_is_asked_again_next_time(mail_network):
    mail_network.mail_domain("grey.test", GREYLIST)

    verdict = verify_email("jane@grey.test")

    assert (verdict.status, verdict.confidence) == ("unknown", 20)
    assert "greylisted" in verdict.reason
    assert verdict.answer.expires_at is None  # kept as history, never as the cache
    # The domain is left alone for a while (its other leads do not knock), then asked again.
    again = verify_email("jane@grey.test")
    assert again.status == "unknown" and "asked later" in again.reason
    assert mail_network.smtp.sessions == 1
    ProviderAnswer.objects.filter(kind="paused").update(expires_at=timezone.now())
    verify_email("jane@grey.test")
    assert mail_network.smtp.sessions == 2


def test_a_server_that_stalls_after_the_greeting_is_given_up_on_at_the_cap(mail_network):
    mail_network.mail_domain("slow.test", TARPIT)

    verdict = verify_email("jane@slow.test")

    assert verdict.status == "unknown"
    assert "no answer within 1s" in verdict.reason


def test_a_server_that_drips_its_greeting_forever_is_given_up_on_at_the_cap(mail_network, settings):
    mail_network.dns.zone["drip.test"] = {"MX": [(10, "mx.drip.test")]}
    mail_network.dns.zone["mx.drip.test"] = {"A": ["127.0.0.1"]}
    tarpit = TarpitServer().start()
    settings.ENRICHMENT_SMTP_PORT = tarpit.port
    try:
        verdict = verify_email("jane@drip.test")
    finally:
        tarpit.stop()

    assert verdict.status == "unknown"
    assert "no answer within 1s" in verdict.reason
    assert tarpit.sessions == 1


def test_a_server_that_drops_the_connection_is_unknown(mail_network):
    mail_network.mail_domain("drop.test", DROP)

    verdict = verify_email("jane@drop.test")

    assert verdict.status == "unknown"
    assert "dropped the connection" in verdict.reason


def test_a_server_that_blocks_the_prober_says_nothing_of_the_mailbox(mail_network):
    mail_network.mail_domain("strict.test", BLOCKED)

    verdict = verify_email("jane@strict.test")

    assert verdict.status == "unknown"
    assert "refused the probe (550" in verdict.reason


def test_a_domain_with_no_mx_and_no_address_receives_no_mail(mail_network):
    mail_network.dns.zone["nomail.test"] = {"TXT": []}

    verdict = verify_email("jane@nomail.test")

    assert (verdict.status, verdict.reason) == ("invalid", "nomail.test receives no mail (no MX and no A record)")
    assert mail_network.smtp.sessions == 0


def test_a_domain_that_does_not_exist_receives_no_mail(mail_network):
    verdict = verify_email("jane@nowhere.test")

    assert (verdict.status, verdict.reason) == ("invalid", "nowhere.test does not exist")


def test_a_null_mx_says_the_domain_takes_no_mail(mail_network):
    mail_network.dns.zone["null.test"] = {"MX": [(0, ".")], "A": ["127.0.0.1"]}

    assert mail_hosts("null.test") == []
    verdict = verify_email("jane@null.test")
    assert (verdict.status, verdict.reason) == ("invalid", "null.test takes no mail (null MX)")
    assert mail_network.smtp.sessions == 0


def test_a_domain_without_mx_but_with_an_address_receives_mail_itself(mail_network):
    mail_network.dns.zone["small.test"] = {"A": ["127.0.0.1"]}
    mail_network.smtp.domains["small.test"] = {"jane"}

    verdict = verify_email("jane@small.test")

    assert (verdict.status, verdict.mx_host) == ("valid", "small.test")


def test_mail_hosts_come_in_order_of_preference(mail_network):
    mail_network.dns.zone["big.test"] = {"MX": [(20, "backup.big.test"), (5, "primary.big.test")]}

    assert mail_hosts("big.test") == ["primary.big.test", "backup.big.test"]


def test_the_next_mail_host_is_tried_when_the_first_does_not_take_the_connection(mail_network):
    mail_network.mail_domain("acme.test", {"jane"})
    # 127.0.0.2 is this machine too, but nothing listens there: the connection is refused.
    mail_network.dns.zone["acme.test"]["MX"].insert(0, (5, "down.acme.test"))
    mail_network.dns.zone["down.acme.test"] = {"A": ["127.0.0.2"]}

    verdict = verify_email("jane@acme.test")

    assert (verdict.status, verdict.mx_host) == ("valid", "mx.acme.test")


def test_a_nameserver_that_never_answers_makes_the_address_unknown(mail_network):
    mail_network.dns.silent.add("quiet.test")

    verdict = verify_email("jane@quiet.test")

    assert verdict.status == "unknown"
    assert "timed out" in verdict.reason


def test_a_mail_server_on_a_private_address_is_refused_unless_allowed(mail_network, settings):
    settings.ENRICHMENT_ALLOW_PRIVATE_MX = False
    mail_network.mail_domain("acme.test", {"jane"})

    verdict = verify_email("jane@acme.test")

    assert verdict.status == "unknown"
    assert "mail server mx.acme.test is on a private address (127.0.0.1): refused" in verdict.reason
    assert mail_network.smtp.sessions == 0


def test_throw_away_and_role_addresses_need_no_probe(mail_network):
    mail_network.mail_domain("acme.test", CATCH_ALL)

    throw_away = verify_email("someone@mailinator.com")
    role = verify_email("info@acme.test")

    assert (throw_away.status, throw_away.confidence) == ("disposable", 10)
    assert (role.status, role.confidence) == ("role", 30)
    assert mail_network.smtp.sessions == 0
    assert mail_network.dns.queries == []


def test_a_malformed_address_is_invalid_without_any_lookup(mail_network):
    verdict = verify_email("jane@@acme")

    assert verdict.status == "invalid"
    assert verdict.reason.startswith("not a valid email address")
    assert mail_network.dns.queries == []


def test_a_verdict_is_reused_within_the_cache_days_without_asking_anyone(mail_network):
    mail_network.mail_domain("acme.test", {"jane"})
    first = verify_email("jane@acme.test")
    questions = len(mail_network.dns.queries)

    again = verify_email("jane@acme.test")

    assert (again.status, again.answer) == (first.status, first.answer)
    assert mail_network.smtp.sessions == 1
    assert len(mail_network.dns.queries) == questions


def test_the_nameservers_may_be_one_comma_separated_setting(mail_network, settings):
    mail_network.mail_domain("acme.test", {"jane"})
    settings.ENRICHMENT_NAMESERVERS = f" 127.0.0.1:{mail_network.dns.port} "

    assert mail_hosts("acme.test") == ["mx.acme.test"]


def test_a_nameserver_given_by_name_is_refused_plainly(mail_network, settings):
    settings.ENRICHMENT_NAMESERVERS = ["dns.example:53"]

    verdict = verify_email("jane@acme.test")

    assert verdict.status == "unknown"
    assert "the finder's nameservers are not usable" in verdict.reason
