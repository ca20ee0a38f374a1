"""Fixtures of the enrichment sources' stand-ins: a local DNS server and a local SMTP server for the built-in email
finder, Hunter's API on a local HTTP server, and the settings that point Leadflow at them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fakes.dns_server import FakeDnsServer
from tests.fakes.hunter_server import HunterStandIn
from tests.fakes.smtp_server import FakeSmtpServer


@pytest.fixture
def dns_server():
    server = FakeDnsServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    server = FakeSmtpServer().start()
    yield server
    server.stop()
    assert server.messages == [], "a probe must never send a message (DATA)"


@dataclass
class MailNetwork:
    """The finder's view of the world: domains whose MX points at the local SMTP server."""

    dns: FakeDnsServer
    smtp: FakeSmtpServer

    def mail_domain(self, domain: str, mailboxes: object) -> None:
        """A domain whose one mail host (mx.<domain>, on 127.0.0.1) answers RCPT TO as `mailboxes` says."""
        self.dns.zone[domain] = {"MX": [(10, f"mx.{domain}")]}
        self.dns.zone[f"mx.{domain}"] = {"A": ["127.0.0.1"]}
        self.smtp.domains[domain] = mailboxes


@pytest.fixture
def mail_network(db, settings, dns_server, smtp_server) -> MailNetwork:
    settings.ENRICHMENT_NAMESERVERS = [f"127.0.0.1:{dns_server.port}"]
    settings.ENRICHMENT_DNS_TIMEOUT = 0.5
    settings.ENRICHMENT_SMTP_PORT = smtp_server.port
    # Small, so that the tarpit cases end quickly; the local server answers everything else at once.
    settings.ENRICHMENT_SMTP_TIMEOUT = 1.0
    settings.ENRICHMENT_ALLOW_PRIVATE_MX = True  # the stand-in mail server is on 127.0.0.1
    settings.ENRICHMENT_SMTP_RATE_PER_HOST = 0  # the spacing of sessions has a test of its own
    settings.ENRICHMENT_HELO_NAME = "probe.leadflow.test"
    settings.ENRICHMENT_MAIL_FROM = "verify@leadflow.test"
    return MailNetwork(dns_server, smtp_server)


@pytest.fixture
def hunter_stand_in(httpserver, local_stand_ins) -> HunterStandIn:
    """Hunter's API on a local server, Leadflow pointed at it by settings alone (no key set: tests choose)."""
    stand_in = HunterStandIn(httpserver)
    local_stand_ins.HUNTER_BASE_URL = stand_in.base_url
    local_stand_ins.HUNTER_API_KEY = ""
    local_stand_ins.HUNTER_RATE_PER_SECOND = 0
    local_stand_ins.HTTP_RETRY_AFTER_MAX = 0.01
    return stand_in
