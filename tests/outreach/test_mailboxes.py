"""Mailboxes: URLs read into transports, connections that really deliver (to a local SMTP server and a local Mailgun
API), test sends that report the server's own refusal, and caps that ramp up during warm-up."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.db import connection

from outreach.mailboxes import (
    GuardedMailgunBackend,
    GuardedPostmarkBackend,
    GuardedResendBackend,
    GuardedSendGridBackend,
    mailbox_cap_on,
    mailbox_connection,
    mailbox_from_url,
    mailbox_rows,
    mailbox_send_test,
    transport_from_url,
)
from outreach.models import Mailbox, SendCount
from tests.fakes.mail_sink import MailSink
from tests.fakes.mailgun_server import MailgunStandIn


@pytest.fixture
def sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mailgun(local_stand_ins):
    stand_in = MailgunStandIn.started(domain="mg.acme.example", api_key="key-Secret123")
    yield stand_in
    stand_in.stop()


def smtp_mailbox(sink: MailSink) -> Mailbox:
    # The sink offers no AUTH without TLS: the login is checked on the built connection instead.
    return mailbox_from_url(f"smtp://{sink.host}:{sink.port}", address="sales@acme.example", name="Acme Sales")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user%40acme.example:p%40ss@Mail.Acme.Example:587?tls=1",
            {"smtp_host": "mail.acme.example", "smtp_port": 587, "smtp_tls": True, "smtp_ssl": False,
             "smtp_user": "user@acme.example", "smtp_password": "p@ss"},
        ),
        ("smtp://relay.local", {"smtp_host": "relay.local", "smtp_port": 25, "smtp_tls": False, "smtp_ssl": False}),
        ("smtp+tls://u:p@mail.example", {"smtp_port": 587, "smtp_tls": True, "smtp_ssl": False}),
        # As django-environ reads it, smtps:// is STARTTLS, not implicit TLS.
        ("smtps://u:p@mail.example", {"smtp_port": 587, "smtp_tls": True, "smtp_ssl": False}),
        ("smtp+ssl://u:p@mail.example", {"smtp_port": 465, "smtp_tls": False, "smtp_ssl": True}),
        ("smtp://u:p@mail.example:2465?ssl=1", {"smtp_port": 2465, "smtp_tls": False, "smtp_ssl": True}),
        ("smtp://mail.example?email_use_tls=True", {"smtp_tls": True}),
    ],
)  # fmt: skip
def test_it_reads_smtp_urls(url, expected):
    fields = transport_from_url(url)
    assert fields["transport"] == Mailbox.Transport.SMTP
    assert {name: fields[name] for name in expected} == expected
    assert fields["api_key"] == ""


@pytest.mark.parametrize(
    ("url", "transport", "key", "domain"),
    [
        ("mailgun://key-AbC123@MG.Acme.Example", "mailgun", "key-AbC123", "mg.acme.example"),
        ("sendgrid://SG.AbC.dEf", "sendgrid", "SG.AbC.dEf", ""),
        ("resend://re_AbC", "resend", "re_AbC", ""),
        ("postmark://a1B2-c3D4", "postmark", "a1B2-c3D4", ""),
    ],
)
def test_it_reads_email_service_urls_keeping_the_keys_case(url, transport, key, domain):
    fields = transport_from_url(url)
    assert (fields["transport"], fields["api_key"], fields["api_domain"]) == (transport, key, domain)
    assert fields["smtp_host"] == ""


def test_it_reads_a_mailgun_region_url():
    fields = transport_from_url("mailgun://key-1@mg.acme.example?api_url=https://api.eu.mailgun.net/v3")
    assert fields["api_base_url"] == "https://api.eu.mailgun.net/v3"


@pytest.mark.parametrize("url", ["console://", "consolemail://"])
def test_it_reads_console_urls(url):
    assert transport_from_url(url)["transport"] == Mailbox.Transport.CONSOLE


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://user:hunter2@files.example", "Unknown kind of mail URL (ftp://)"),
        ("user:hunter2@mail.example", "Unknown kind of mail URL"),
        ("not a url", "That is not a mail URL"),
        ("smtp://", "names no SMTP host"),
        ("smtp://mail.example:99999", "cannot be read"),
        ("smtp://mail.example?tls=1&ssl=1", "not both"),
        ("mailgun://@mg.acme.example", "mailgun://KEY@DOMAIN"),
        ("sendgrid://", "sendgrid://KEY"),
    ],
)
def test_it_refuses_bad_urls_with_a_reason_and_without_repeating_the_password(url, reason):
    with pytest.raises(ValidationError) as refused:
        transport_from_url(url)
    assert reason in refused.value.messages[0]
    assert "hunter2" not in refused.value.messages[0]


def test_it_stores_the_password_and_key_encrypted(db):
    mailbox = mailbox_from_url("smtp://u:Secret-Pass@mail.example", address="Sales@Acme.Example", name="Sales")
    assert mailbox.address == "sales@acme.example"
    with connection.cursor() as cursor:
        cursor.execute("SELECT smtp_password FROM outreach_mailbox WHERE id = %s", [mailbox.pk])
        stored = cursor.fetchone()[0]
    assert stored and "Secret-Pass" not in stored
    assert Mailbox.objects.get(pk=mailbox.pk).smtp_password == "Secret-Pass"


def test_a_new_url_replaces_the_old_transport(db):
    mailbox_from_url("smtp://u:p@mail.example", address="sales@acme.example", name="Sales")
    mailbox = mailbox_from_url("mailgun://key-1@mg.acme.example", address="sales@acme.example", name="Sales team")
    mailbox.refresh_from_db()
    assert (mailbox.transport, mailbox.name, mailbox.api_key) == ("mailgun", "Sales team", "key-1")
    assert (mailbox.smtp_host, mailbox.smtp_password) == ("", "")
    assert Mailbox.objects.count() == 1


def test_it_builds_an_smtp_connection_from_the_mailbox(db):
    mailbox = mailbox_from_url("smtp+ssl://u:p@mail.example", address="sales@acme.example", name="Sales")
    backend = mailbox_connection(mailbox)
    assert (backend.host, backend.port, backend.username, backend.password) == ("mail.example", 465, "u", "p")
    assert (backend.use_ssl, backend.use_tls, backend.timeout) == (True, False, 30)


@pytest.mark.parametrize(
    ("url", "backend_class", "key_attribute"),
    [
        ("mailgun://Key-1@mg.acme.example", GuardedMailgunBackend, "api_key"),
        ("sendgrid://Key-1", GuardedSendGridBackend, "api_key"),
        ("resend://Key-1", GuardedResendBackend, "api_key"),
        ("postmark://Key-1", GuardedPostmarkBackend, "server_token"),
    ],
)
# anymail 15 still sends through SendGrid, with a warning that it no longer tests it.
@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_it_builds_an_email_service_connection_with_the_key_and_base_url(db, url, backend_class, key_attribute):
    mailbox = mailbox_from_url(f"{url}?api_url=https://mail-api.example/v9", address="a@acme.example", name="A")
    backend = mailbox_connection(mailbox)
    assert type(backend) is backend_class
    assert getattr(backend, key_attribute) == "Key-1"
    assert backend.api_url.startswith("https://mail-api.example/v9")


def test_a_console_mailbox_prints(db):
    backend = mailbox_connection(mailbox_from_url("console://", address="a@acme.example", name="A"))
    assert type(backend) is ConsoleBackend


def test_an_smtp_send_through_the_connection_arrives(db, sink):
    mailbox = smtp_mailbox(sink)
    backend = mailbox_connection(mailbox)
    with backend:
        sent = backend.send_messages(
            [EmailMessage("Hello", "Body text", "Acme Sales <sales@acme.example>", ["priya@logistics.example"])]
        )
    assert sent == 1
    [arrived] = sink.received_by("priya@logistics.example")
    assert arrived["Subject"] == "Hello"
    assert arrived.get_content().strip() == "Body text"


def test_the_test_send_arrives(db, sink):
    result = mailbox_send_test(smtp_mailbox(sink), to="mia@leadflow.test")
    assert result.ok, result.detail
    [arrived] = sink.received_by("mia@leadflow.test")
    assert arrived["From"] == "Acme Sales <sales@acme.example>"
    assert "sales@acme.example" in arrived["Subject"]


def test_the_test_send_shows_the_servers_refusal(db, sink):
    sink.refusals["mia@leadflow.test"] = "550 5.1.1 No such user here"
    result = mailbox_send_test(smtp_mailbox(sink), to="mia@leadflow.test")
    assert not result.ok
    assert "550 5.1.1 No such user here" in result.detail
    assert sink.received_by("mia@leadflow.test") == []


def test_the_test_send_says_when_the_server_offers_no_starttls(db, sink):
    mailbox = mailbox_from_url(f"smtp+tls://{sink.host}:{sink.port}", address="sales@acme.example", name="Sales")
    result = mailbox_send_test(mailbox, to="mia@leadflow.test")
    assert not result.ok
    assert result.detail == (
        "STARTTLS extension not supported by server. Check the TLS choice, the port and whether it needs a login."
    )


def test_the_test_send_says_when_the_server_is_down(db, sink):
    mailbox = smtp_mailbox(sink)
    sink.stop()
    result = mailbox_send_test(mailbox, to="mia@leadflow.test")
    assert not result.ok
    assert f"Could not reach {sink.host}:{sink.port}" in result.detail


def test_the_test_send_refuses_a_bad_recipient(db, sink):
    mailbox = smtp_mailbox(sink)
    connections = sink.connections  # the controller's own start-up check counts as one
    result = mailbox_send_test(mailbox, to="not-an-address")
    assert not result.ok
    assert "not an email address" in result.detail
    assert sink.connections == connections


def mailgun_mailbox(stand_in: MailgunStandIn, key: str = "key-Secret123") -> Mailbox:
    return mailbox_from_url(
        f"mailgun://{key}@mg.acme.example?api_url={stand_in.base_url}", address="sales@acme.example", name="Acme Sales"
    )


def test_a_mailgun_test_send_reaches_the_messages_api(db, mailgun):
    result = mailbox_send_test(mailgun_mailbox(mailgun), to="mia@leadflow.test")
    assert result.ok, result.detail
    [sent] = mailgun.sent
    assert sent["from"] == "Acme Sales <sales@acme.example>"
    assert sent["to"] == "mia@leadflow.test"
    assert "sales@acme.example" in sent["subject"]


def test_a_mailgun_mailbox_without_a_base_url_uses_the_mailgun_base_url_setting(db, mailgun, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_API_URL": mailgun.base_url}
    mailbox = mailbox_from_url("mailgun://key-Secret123@mg.acme.example", address="sales@acme.example", name="Sales")
    backend = mailbox_connection(mailbox)
    with backend:
        sent = backend.send_messages(
            [EmailMessage("Hello", "Body text", "Sales <sales@acme.example>", ["priya@logistics.example"])]
        )
    assert sent == 1
    [posted] = mailgun.sent
    assert (posted["to"], posted["subject"], posted["text"]) == ("priya@logistics.example", "Hello", "Body text")


def test_a_mailgun_domain_it_does_not_serve_is_named(db, mailgun):
    mailbox = mailgun_mailbox(mailgun)
    mailbox.api_domain = "other.example"
    result = mailbox_send_test(mailbox, to="mia@leadflow.test")
    assert not result.ok
    assert "Unknown sender domain 'other.example'" in result.detail


def test_a_mailgun_refusal_shows_its_answer(db, mailgun):
    result = mailbox_send_test(mailgun_mailbox(mailgun, key="key-Wrong"), to="mia@leadflow.test")
    assert not result.ok
    assert "401" in result.detail and "Forbidden" in result.detail
    assert mailgun.sent == []


def test_a_mailbox_api_url_on_a_private_address_is_refused(db, mailgun):
    mailbox = mailgun_mailbox(mailgun)
    mailbox.api_base_url = mailgun.base_url.replace("localhost", "127.0.0.1")
    result = mailbox_send_test(mailbox, to="mia@leadflow.test")
    assert not result.ok
    assert "private address" in result.detail
    assert mailgun.sent == []


@pytest.mark.parametrize(
    ("day", "cap"),
    [
        (datetime.date(2026, 11, 30), 10),  # before the ramp began: its first step
        (datetime.date(2026, 12, 1), 10),
        (datetime.date(2026, 12, 2), 15),
        (datetime.date(2026, 12, 5), 30),
        (datetime.date(2026, 12, 30), 100),  # the daily cap holds once reached
    ],
)
def test_warm_up_raises_the_cap_day_by_day(db, day, cap):
    mailbox = Mailbox(daily_cap=100, warmup_start=10, warmup_step=5, warmup_began_on=datetime.date(2026, 12, 1))
    assert mailbox_cap_on(mailbox, day) == cap


def test_without_warm_up_the_cap_is_the_daily_cap(db):
    assert mailbox_cap_on(Mailbox(daily_cap=75), datetime.date(2026, 12, 3)) == 75


def test_a_warm_up_without_a_start_day_starts_today(db):
    mailbox = mailbox_from_url("console://", address="a@acme.example", name="A", warmup_start=5, warmup_step=5)
    assert mailbox.warmup_began_on is not None


def test_the_list_counts_today_in_the_mailboxs_zone(db):
    # 23:30 UTC on 2 December is already 3 December in Tokyo.
    now = datetime.datetime(2026, 12, 2, 23, 30, tzinfo=datetime.UTC)
    tokyo = mailbox_from_url("console://", address="jp@acme.example", name="JP", time_zone="Asia/Tokyo")
    SendCount.objects.create(scope=SendCount.Scope.MAILBOX, key=str(tokyo.pk), day=datetime.date(2026, 12, 2), sent=9)
    SendCount.objects.create(scope=SendCount.Scope.MAILBOX, key=str(tokyo.pk), day=datetime.date(2026, 12, 3), sent=4)
    [row] = mailbox_rows(now=now)
    assert (row.sent_today, row.cap_today, row.warmup) == (4, 200, "No warm-up")


def test_an_smtp_mailbox_needs_a_host_and_an_api_one_a_key(db):
    with pytest.raises(ValidationError) as refused:
        mailbox_from_url("console://", address="a@acme.example", name="A", transport="smtp")
    assert "host" in refused.value.message_dict["smtp_host"][0]
    with pytest.raises(ValidationError) as refused:
        mailbox_from_url("console://", address="a@acme.example", name="A", transport="sendgrid")
    assert "API key" in refused.value.message_dict["api_key"][0]
    assert not Mailbox.objects.exists()
