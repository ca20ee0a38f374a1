"""Verifying one address offline: syntax, throw-away and role mailboxes, the domain's mail hosts (with RFC 5321's
A-record fallback and RFC 7505's null MX), and an SMTP RCPT probe that never sends a message."""

from __future__ import annotations

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
