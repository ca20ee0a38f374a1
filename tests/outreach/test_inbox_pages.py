"""The inbox's list and thread: filters, search, snoozed threads, roles and odd ids, the 5-second poll, and the lead
page showing the same thread."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outreach.conversations import conversation_open, message_received, message_sent
from outreach.inbox import inbox_stamp
from outreach.models import Conversation, ConversationMessage
from tests.factories import CompanyFactory, EnrollmentFactory, LeadFactory, MessageFactory, default_stage

pytestmark = pytest.mark.django_db
INBOX = "/inbox/"


def thread_with(lead, text: str, *, channel: str = "email", subject: str = "Quick question", **fields):
    """A conversation with one message from the lead."""
    conversation = conversation_open(lead, channel, peer=lead.email, subject=subject)
    message_received(conversation, sender=lead.email, subject=f"Re: {subject}", text=text, **fields)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def priya(rep_alice):
    return LeadFactory(first_name="Priya", last_name="Shah", owner=rep_alice, company=CompanyFactory(name="Acme"))


@pytest.fixture
def omar(rep_bob):
    return LeadFactory(first_name="Omar", last_name="Haddad", owner=rep_bob, company=CompanyFactory(name="Globex"))


def test_the_inbox_lists_threads_newest_first_with_unread_counts(client, manager_mia, priya, omar):
    thread_with(priya, "Sounds interesting, tell me more")
    later = thread_with(omar, "Not now, maybe in spring")
    message_received(later, sender=omar.email, text="Actually, call me")
    client.force_login(manager_mia)
    page = client.get(INBOX).content.decode()
    assert page.index("Omar Haddad") < page.index("Priya Shah")
    assert 'title="Unread messages">2</span>' in page
    assert "Actually, call me" in page  # the preview


def test_a_rep_sees_the_threads_of_leads_they_can_see_and_no_others(client, rep_alice, priya, omar):
    unassigned = LeadFactory(first_name="Una", last_name="Signed", owner=None)
    mine, theirs, open_one = thread_with(priya, "Mine"), thread_with(omar, "Bob's"), thread_with(unassigned, "Free")
    client.force_login(rep_alice)
    page = client.get(INBOX).content.decode()
    assert "Priya Shah" in page and "Una Signed" in page and "Omar Haddad" not in page
    assert client.get(reverse("outreach:conversation", args=[mine.pk])).status_code == 200
    assert client.get(reverse("outreach:conversation", args=[open_one.pk])).status_code == 200
    assert client.get(reverse("outreach:conversation", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("outreach:conversation_read", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize("path", ["/inbox/0/", "/inbox/99999999/", "/inbox/99999999999999999999/"])
def test_odd_ids_are_not_found(client, manager_mia, path):
    client.force_login(manager_mia)
    assert client.get(path).status_code == 404


def test_odd_filter_values_are_ignored_not_errors(client, manager_mia, priya):
    thread_with(priya, "Hello")
    client.force_login(manager_mia)
    response = client.get(INBOX, {"stage": "²", "sequence": "99999999999999999999", "channel": "fax", "page": "-3"})
    assert response.status_code == 200
    assert "Priya Shah" in response.content.decode()


def test_filters_mine_unassigned_unread_channel_stage_and_sequence(client, manager_mia, rep_alice, priya, omar):
    read_whatsapp = thread_with(omar, "Hola", channel="whatsapp")
    read_whatsapp.unread = 0
    read_whatsapp.save()
    nobody = LeadFactory(first_name="Una", last_name="Signed", owner=None, stage=default_stage(2))
    thread_with(nobody, "Who is this?")
    mine = thread_with(priya, "Tell me more")
    mine.assigned_to = manager_mia
    mine.save()
    EnrollmentFactory(lead=priya, sequence__name="Cold intro")
    client.force_login(manager_mia)

    def names(**query) -> set[str]:
        page = client.get(INBOX, query, headers={"HX-Request": "true"}).content.decode()
        return {name for name in ("Priya Shah", "Omar Haddad", "Una Signed") if name in page}

    assert names() == {"Priya Shah", "Omar Haddad", "Una Signed"}
    assert names(who="mine") == {"Priya Shah"}
    assert names(who="unassigned") == {"Una Signed"}
    assert names(unread="on") == {"Priya Shah", "Una Signed"}
    assert names(channel="whatsapp") == {"Omar Haddad"}
    assert names(unread="on", channel="whatsapp") == set()
    assert names(stage=nobody.stage_id) == {"Una Signed"}
    assert names(sequence=priya.enrollments.get().sequence_id) == {"Priya Shah"}


def test_search_finds_name_email_company_subject_and_preview(client, manager_mia, priya, omar):
    thread_with(priya, "Can we talk pricing?", subject="Freight rates")
    thread_with(omar, "Out until Monday")
    client.force_login(manager_mia)

    def found(text: str) -> set[str]:
        page = client.get(INBOX, {"q": text}).content.decode()
        return {name for name in ("Priya Shah", "Omar Haddad") if name in page}

    assert found("shah") == {"Priya Shah"}
    assert found(omar.email) == {"Omar Haddad"}
    assert found("globex") == {"Omar Haddad"}
    assert found("freight") == {"Priya Shah"}
    assert found("pricing") == {"Priya Shah"}
    assert found("nobody-has-this") == set()


def test_a_snoozed_thread_hides_until_its_time_unless_the_snoozed_filter_is_on(client, manager_mia, priya):
    conversation = thread_with(priya, "Ping me next week")
    conversation.snoozed_until = timezone.now() + dt.timedelta(days=3)
    conversation.save()
    client.force_login(manager_mia)
    assert "Priya Shah" not in client.get(INBOX).content.decode()
    assert "Priya Shah" in client.get(INBOX, {"snoozed": "on"}).content.decode()
    conversation.snoozed_until = timezone.now() - dt.timedelta(minutes=1)
    conversation.save()
    assert "Priya Shah" in client.get(INBOX).content.decode()


def test_the_list_pages_without_counting_everything(client, manager_mia, rep_alice):
    for index in range(55):
        thread_with(LeadFactory(first_name=f"Lead{index:02d}", last_name="Paged", owner=rep_alice), "Hi")
    client.force_login(manager_mia)
    first = client.get(INBOX).content.decode()
    assert first.count('class="conversation-row') == 50 and 'rel="next"' in first
    second = client.get(INBOX, {"page": "2"}).content.decode()
    assert second.count('class="conversation-row') == 5 and 'rel="prev"' in second and 'rel="next"' not in second


def test_the_thread_shows_every_message_in_order_with_sequence_emails_and_badges(client, manager_mia, priya):
    sent = MessageFactory(
        enrollment=EnrollmentFactory(lead=priya), subject="Quick question", body="Hi Priya, a short note.",
        sent_at=timezone.now() - dt.timedelta(days=2),
    )  # fmt: skip
    conversation = thread_with(priya, "I am out of office until Monday.", kind="auto_reply")
    message_received(
        conversation, sender=priya.email, text="", html='<p>Yes <b>please</b><script>alert("x")</script></p>',
        attachments=[{"name": "brief.pdf", "size": 2048, "content_type": "application/pdf", "url": "javascript:x"}],
    )  # fmt: skip
    message_sent(conversation, text="Great, Tuesday?", status=ConversationMessage.Status.DELIVERED, sender="us@x")
    message_received(conversation, sender=priya.email, text="Please remove me", kind="unsubscribe")
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:conversation", args=[conversation.pk])).content.decode()
    order = [page.index(text) for text in ("Hi Priya, a short note.", "out of office", "<b>please</b>", "Tuesday?")]
    assert order == sorted(order)
    assert "Automatic reply" in page and "Unsubscribe request" in page and "Delivered" in page
    assert "<script>" not in page.split("<body")[1].split("<script src=")[0]  # cleaned, never shown raw
    assert 'alert("x")' not in page
    assert "brief.pdf" in page and 'href="javascript:x"' not in page
    assert sent.subject in page


def test_opening_a_thread_reads_it(client, rep_alice, priya):
    conversation = thread_with(priya, "Hello")
    assert conversation.unread == 1
    client.force_login(rep_alice)
    client.get(reverse("outreach:conversation", args=[conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.unread == 0


def test_a_viewer_reads_threads_but_changes_nothing(client, viewer_vic, priya):
    conversation = thread_with(priya, "Hello")
    client.force_login(viewer_vic)
    page = client.get(reverse("outreach:conversation", args=[conversation.pk])).content.decode()
    assert "Hello" in page and "Send" not in page
    conversation.refresh_from_db()
    assert conversation.unread == 1
    assert client.post(reverse("outreach:conversation_read", args=[conversation.pk])).status_code == 403


def test_the_poll_answers_nothing_new_in_one_query_then_the_list_after_a_message(client, rep_alice, priya):
    conversation = thread_with(priya, "First")
    client.force_login(rep_alice)
    client.get(INBOX)  # the session and role are warm, as on an open page
    seen = inbox_stamp(rep_alice)
    poll = reverse("outreach:inbox_poll")
    with CaptureQueriesContext(connection) as queries:
        idle = client.get(poll, {"seen": seen, "open": conversation.pk}, headers={"HX-Request": "true"})
    assert idle.status_code == 204 and idle.content == b""
    inbox_queries = [q["sql"] for q in queries.captured_queries if "outreach_conversation" in q["sql"]]
    assert len(inbox_queries) == 1

    message_received(conversation, sender=priya.email, text="Second, with news")
    changed = client.get(poll, {"seen": seen, "open": conversation.pk}, headers={"HX-Request": "true"})
    body = changed.content.decode()
    assert changed.status_code == 200
    assert 'id="inbox-list"' in body and "Second, with news" in body
    assert 'id="thread-lines" hx-swap-oob="true"' in body  # the open thread is redrawn too
    assert f"seen={inbox_stamp(rep_alice)}" in body  # and the next poll starts from now
    again = client.get(poll, {"seen": inbox_stamp(rep_alice), "open": conversation.pk})
    assert again.status_code == 204


def test_the_poll_ignores_changes_a_rep_cannot_see(client, rep_alice, priya, omar):
    thread_with(priya, "Mine")
    theirs = thread_with(omar, "Bob's")
    client.force_login(rep_alice)
    seen = inbox_stamp(rep_alice)
    message_received(theirs, sender=omar.email, text="More for Bob")
    assert client.get(reverse("outreach:inbox_poll"), {"seen": seen}).status_code == 204


def test_the_lead_page_shows_the_same_thread(client, rep_alice, rep_bob, priya):
    conversation = thread_with(priya, "Sounds good, send the deck")
    message_sent(conversation, text="Here it is", sender="us@x", status=ConversationMessage.Status.SENT)
    client.force_login(rep_alice)
    lead_page = client.get(reverse("crm:lead", args=[priya.pk])).content.decode()
    panel_url = reverse("outreach:lead_conversations", args=[priya.pk])
    assert panel_url in lead_page
    panel = client.get(panel_url).content.decode()
    assert panel.index("Sounds good, send the deck") < panel.index("Here it is")
    client.force_login(rep_bob)
    assert client.get(panel_url).status_code == 404


def test_the_menu_counts_unread_conversations_assigned_to_me(client, rep_alice, priya):
    thread_with(priya, "One")
    thread_with(LeadFactory(owner=rep_alice), "Two")
    client.force_login(rep_alice)
    page = client.get(reverse("crm:dashboard")).content.decode()
    assert 'title="Unread conversations assigned to you">2</span>' in page


def test_a_kept_attachment_downloads_for_who_sees_the_thread_only(client, rep_alice, rep_bob, priya):
    path = default_storage.save("inbound/test/brief.html", ContentFile(b"<script>alert(1)</script>"))
    conversation = thread_with(priya, "See attached", attachments=[{"name": "brief.html", "size": 26, "path": path}])
    message = conversation.messages.get()
    url = reverse("outreach:conversation_attachment", args=[conversation.pk, 0])
    client.force_login(rep_alice)
    assert (
        f"{url}?message={message.pk}"
        in client.get(reverse("outreach:conversation", args=[conversation.pk])).content.decode()
    )
    response = client.get(url, {"message": message.pk})
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Disposition"].startswith("attachment;")  # never shown on our own pages
    assert response["Content-Type"] == "application/octet-stream"
    assert (
        client.get(
            reverse("outreach:conversation_attachment", args=[conversation.pk, 5]), {"message": message.pk}
        ).status_code
        == 404
    )
    assert client.get(url, {"message": "x"}).status_code == 404
    client.force_login(rep_bob)
    assert client.get(url, {"message": message.pk}).status_code == 404


def test_the_menu_count_stops_at_99_plus(client, rep_alice):
    for _ in range(100):
        lead = LeadFactory(owner=rep_alice, company=None)
        Conversation.objects.filter(pk=conversation_open(lead, "email", peer=lead.email).pk).update(unread=1)
    client.force_login(rep_alice)
    page = client.get(reverse("crm:tasks")).content.decode()
    assert 'title="Unread conversations assigned to you">99+</span>' in page
