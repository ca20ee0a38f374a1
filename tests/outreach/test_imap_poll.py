"""The IMAP poller against a real IMAP server (pymap, on 127.0.0.1): the real MIME fixtures are appended to the
mailbox's INBOX and read through the reply service; the first poll reads only what arrived since the mailbox was
added, later ones go on from the last UID; a rebuilt folder (new UIDVALIDITY) is read by date again without keeping
anything twice; a server that is down is retried later while the other mailboxes are polled."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from crm.models import Notification
from leadflow.schedules import SCHEDULES
from outreach.imap_poll import mailboxes_poll
from outreach.models import ConversationMessage, Mailbox, Suppression
from tests.fakes.imap_server import ImapServer
from tests.fakes.smtp_server import free_port
from tests.outreach.reply_world import fixture_mail, mail_built

FIXTURES = [
    "out_of_office.eml",
    "gmail_reply.eml",
    "outlook_reply.eml",
    "dsn_hard_bounce.eml",
    "dsn_soft_bounce.eml",
    "unsubscribe_request.eml",
    "html_with_script.eml",
]
LONG_AGO = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def imap_server():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def polled(world, imap_server) -> Mailbox:
    """Sam's mailbox, added yesterday, reading its INBOX on the local server."""
    mailbox = world.mailbox
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_ssl = imap_server.host, imap_server.port, False
    mailbox.imap_user, mailbox.imap_password = imap_server.user, imap_server.password
    mailbox.created_at = timezone.now() - dt.timedelta(days=1)
    mailbox.save()
    return mailbox


def _now(hours: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def _old_messages(count: int) -> list[tuple[bytes, dt.datetime]]:
    """Mail from long before the mailbox was added, from a lead we know (read, it would be kept)."""
    return [
        (mail_built(sender="Priya Shah <priya.shah@northwind.example>", subject=f"Old thread {number}",
                    Message_ID=f"<old.{number}@northwind.example>").as_bytes(), LONG_AGO)
        for number in range(count)
    ]  # fmt: skip


def test_the_first_poll_reads_only_what_came_since_the_mailbox_was_added(polled, imap_server, world, rep_alice):
    imap_server.append([*_old_messages(1000), *((fixture_mail(name), _now()) for name in FIXTURES)])

    [result] = mailboxes_poll()

    # 1,000 old messages stand for the 50,000 of a real mailbox (appending those would take minutes): none is read.
    assert (result.mailbox, result.error, result.read) == ("sam@acme.example", "", len(FIXTURES))
    assert dict(result.kept) == {"auto_reply": 1, "message": 3, "bounce": 2, "unsubscribe": 1}
    assert not ConversationMessage.objects.filter(subject__startswith="Old thread").exists()
    polled.refresh_from_db()
    assert polled.imap_last_uid == max(imap_server.flags()) and polled.imap_uidvalidity
    assert polled.imap_polled_at is not None and polled.imap_error == "" and polled.imap_retry_at is None
    assert all(b"\\Seen" not in flags for flags in imap_server.flags().values())  # nothing marked read
    # Every effect, through IMAP as through the webhook.
    priya, oliver, marc, jonas = (person.refresh() for person in (world.priya, world.oliver, world.marc, world.jonas))
    assert priya.enrollment.stop_reason == "replied" and priya.lead.lifecycle == "lead"
    assert jonas.enrollment.stop_reason == "replied"
    assert oliver.enrollment.stop_reason == "bounced"
    assert marc.enrollment.stop_reason == "unsubscribed"
    assert set(Suppression.objects.values_list("email", "reason")) == {
        ("old.contact@northwind.example", "hard_bounce"), ("marc.dubois@fabrikam.example", "unsubscribed")
    }  # fmt: skip
    assert world.tom.refresh().message.bounce_kind == "soft"
    assert Notification.objects.filter(user=rep_alice).count() == 3  # Priya, Jonas, Li
    assert ConversationMessage.objects.get(kind="message", conversation__lead=priya.lead).conversation.mailbox == polled


def test_later_polls_go_on_from_the_last_uid(polled, imap_server):
    imap_server.append([(fixture_mail("out_of_office.eml"), _now())])
    assert mailboxes_poll()[0].read == 1
    imap_server.append([(fixture_mail("gmail_reply.eml"), _now())])

    [second] = mailboxes_poll()
    [third] = mailboxes_poll()

    assert dict(second.kept) == {"message": 1} and second.read == 1
    assert third.read == 0 and third.line() == "sam@acme.example: read 0 new messages."
    assert ConversationMessage.objects.count() == 2


def test_a_rebuilt_folder_is_read_by_date_again_and_nothing_is_kept_twice(polled, imap_server):
    imap_server.append([(fixture_mail("gmail_reply.eml"), _now())])
    mailboxes_poll()
    old_validity = Mailbox.objects.get(pk=polled.pk).imap_uidvalidity

    imap_server.restart()  # a new UIDVALIDITY: the UIDs read before mean nothing now
    new = [(fixture_mail("gmail_reply.eml"), _now()), (fixture_mail("unsubscribe_request.eml"), _now())]
    imap_server.append([*_old_messages(20), *new])
    [result] = mailboxes_poll()

    assert (result.read, dict(result.kept), result.left) == (2, {"unsubscribe": 1}, 1)
    assert ConversationMessage.objects.count() == 2
    assert Mailbox.objects.get(pk=polled.pk).imap_uidvalidity != old_validity


def test_a_server_that_is_down_is_retried_later_and_the_other_mailboxes_are_still_polled(polled, imap_server):
    down = Mailbox.objects.create(
        name="Dan", address="dan@acme.example", transport=Mailbox.Transport.CONSOLE, imap_host="127.0.0.1",
        imap_port=free_port(), imap_ssl=False, imap_user="dan", imap_password="secret",
    )  # fmt: skip
    imap_server.append([(fixture_mail("gmail_reply.eml"), _now())])
    started = _now()

    results = {result.mailbox: result for result in mailboxes_poll(now=started)}

    assert results["sam@acme.example"].read == 1
    assert results["dan@acme.example"].line().startswith("dan@acme.example: failed, tried again later:")
    down.refresh_from_db()
    assert down.imap_failures == 1 and "Connection refused" in down.imap_error
    assert down.imap_retry_at == started + dt.timedelta(minutes=1)
    # Before the retry time it waits; after it, it is tried again and waits twice as long.
    waiting = {result.mailbox: result for result in mailboxes_poll(now=started + dt.timedelta(seconds=30))}
    assert waiting["dan@acme.example"].skipped.startswith("waiting until")
    mailboxes_poll(now=started + dt.timedelta(minutes=2))
    down.refresh_from_db()
    assert down.imap_failures == 2 and down.imap_retry_at == started + dt.timedelta(minutes=4)
    # A person asking for it by name need not wait; once it answers, the error is cleared.
    down.imap_port, down.imap_user, down.imap_password = imap_server.port, imap_server.user, imap_server.password
    down.save()
    mailboxes_poll(address="dan@acme.example", now=started + dt.timedelta(minutes=3))
    down.refresh_from_db()
    assert (down.imap_failures, down.imap_error, down.imap_retry_at) == (0, "", None)


def test_a_wrong_password_is_recorded_on_the_mailbox(polled):
    polled.imap_password = "wrong"
    polled.save()
    [result] = mailboxes_poll()
    polled.refresh_from_db()
    assert result.error and polled.imap_failures == 1 and polled.imap_error


def test_a_poll_under_way_holds_its_mailbox(polled, imap_server):
    Mailbox.objects.filter(pk=polled.pk).update(imap_retry_at=_now(0.2))
    assert mailboxes_poll()[0].skipped == "another poll is reading it"


def test_fetch_replies_prints_what_each_mailbox_read(polled, imap_server):
    imap_server.append([(fixture_mail("gmail_reply.eml"), _now()), (fixture_mail("out_of_office.eml"), _now()),
                        (mail_built(sender="someone@unknown.example").as_bytes(), _now())])  # fmt: skip
    out = io.StringIO()
    call_command("fetch_replies", "--mailbox", "SAM@acme.example", stdout=out)
    assert out.getvalue() == (
        "sam@acme.example: read 3 new messages; kept 1 automatic reply, 1 message; 1 already kept, our own or from "
        "no lead.\n"
    )
    with pytest.raises(CommandError, match=r"no active mailbox 'nobody@acme\.example'"):
        call_command("fetch_replies", "--mailbox", "nobody@acme.example")


def test_replies_are_fetched_on_a_schedule():
    schedule = SCHEDULES["fetch email replies"]
    assert schedule["minutes"] <= 5
    assert callable(import_string(schedule["func"]))
