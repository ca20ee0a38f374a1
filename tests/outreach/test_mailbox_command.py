"""`manage.py mailbox add|list|test`: each says what it did; bad URLs and failed sends are refused plainly."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from outreach.models import Mailbox
from tests.fakes.mail_sink import MailSink


@pytest.fixture
def sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


def run(*args: str) -> str:
    out = StringIO()
    call_command("mailbox", *args, stdout=out)
    return out.getvalue()


def test_add_creates_then_updates_a_mailbox(db):
    printed = run(
        "add", "sales@acme.example", "--name", "Acme Sales", "--url", "smtp://sales:S3cret@mail.acme.example:587?tls=1",
        "--cap", "80", "--postal-address", "1 Dock Road, Rotterdam",
    )  # fmt: skip
    assert printed == (
        "Added mailbox Acme Sales <sales@acme.example>: SMTP mail.acme.example:587 (STARTTLS) as sales, cap 80 a day.\n"
    )
    mailbox = Mailbox.objects.get()
    assert (mailbox.smtp_password, mailbox.postal_address) == ("S3cret", "1 Dock Road, Rotterdam")
    printed = run("add", "sales@acme.example", "--name", "Acme Sales", "--url", "mailgun://key-1@mg.acme.example")
    assert printed.startswith("Updated mailbox Acme Sales <sales@acme.example>: Mailgun domain mg.acme.example")
    assert "No postal address yet" not in printed
    assert Mailbox.objects.get().transport == "mailgun"


def test_add_warns_without_a_postal_address(db):
    assert "No postal address yet" in run("add", "a@acme.example", "--name", "A", "--url", "console://")


def test_add_refuses_a_bad_url_and_saves_nothing(db):
    with pytest.raises(CommandError, match=r"Unknown kind of mail URL \(http://\)"):
        run("add", "a@acme.example", "--name", "A", "--url", "http://user:pw@mail.example")
    assert not Mailbox.objects.exists()


def test_add_refuses_a_bad_address(db):
    with pytest.raises(CommandError, match="valid email address"):
        run("add", "not-an-address", "--name", "A", "--url", "console://")


def test_list_shows_each_mailbox_without_secrets(db):
    run("add", "sales@acme.example", "--name", "Acme Sales", "--url", "smtp://u:S3cret@mail.acme.example")
    run("add", "eu@acme.example", "--name", "EU", "--url", "sendgrid://SG.Key", "--warmup-start", "10")
    printed = run("list")
    assert "EU <eu@acme.example>: SendGrid; sent today 0 of 10; Warming up: day 1, 10 of 200 a day." in printed
    assert "Acme Sales <sales@acme.example>: SMTP mail.acme.example:25 (no TLS) as u; sent today 0 of 200" in printed
    assert "S3cret" not in printed and "SG.Key" not in printed


def test_list_says_when_there_are_none(db):
    assert "No mailboxes yet" in run("list")


def test_test_sends_through_the_mailbox(db, sink):
    run("add", "sales@acme.example", "--name", "Acme Sales", "--url", f"smtp://{sink.host}:{sink.port}")
    assert run("test", "sales@acme.example", "--to", "mia@leadflow.test") == (
        "Sent a test message to mia@leadflow.test through SMTP.\n"
    )
    assert len(sink.received_by("mia@leadflow.test")) == 1


def test_test_reports_the_servers_refusal(db, sink):
    run("add", "sales@acme.example", "--name", "Acme Sales", "--url", f"smtp://{sink.host}:{sink.port}")
    sink.refusals["mia@leadflow.test"] = "550 5.7.1 Relaying denied"
    with pytest.raises(CommandError, match=r"550 5\.7\.1 Relaying denied"):
        run("test", "sales@acme.example", "--to", "mia@leadflow.test")


def test_test_refuses_an_unknown_mailbox(db):
    with pytest.raises(CommandError, match=r"There is no mailbox 'nobody@acme\.example'"):
        run("test", "nobody@acme.example", "--to", "mia@leadflow.test")


def test_a_mailbox_can_read_its_replies_over_imap(db):
    out = StringIO()
    call_command(
        "mailbox", "add", "sam@acme.example", "--name", "Sam", "--url", "smtp://sam:pw@mail.acme.example:587?tls=1",
        "--imap", "imaps://sam%40acme.example:imap%20pw@imap.acme.example/Replies", stdout=out,
    )  # fmt: skip
    mailbox = Mailbox.objects.get(address="sam@acme.example")
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.imap_ssl) == ("imap.acme.example", None, True)
    assert (mailbox.imap_user, mailbox.imap_password, mailbox.imap_folder) == (
        "sam@acme.example", "imap pw", "Replies"
    )  # fmt: skip
    assert "replies read from imaps://imap.acme.example/Replies" in out.getvalue()
    assert "imap pw" not in out.getvalue()
    with pytest.raises(CommandError, match="not an IMAP URL"):
        call_command("mailbox", "add", "sam@acme.example", "--name", "Sam", "--url", "console://",
                     "--imap", "pop3://mail.acme.example")  # fmt: skip
