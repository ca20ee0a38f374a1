"""The demo fills the inbox: an email reply to a sequence email (the lead moves to "Replied"), an out-of-office that is
not a reply, and a WhatsApp thread, all shown on /inbox/."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from crm.models import Notification, User
from outreach.models import Conversation, ConversationMessage


def test_the_demo_inbox_shows_a_reply_an_out_of_office_and_a_whatsapp_thread(db, client):
    out = StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)
    assert "inbox at /inbox/ with an email reply and an out-of-office, a WhatsApp thread" in out.getvalue()

    reply = ConversationMessage.objects.get(kind=ConversationMessage.Kind.MESSAGE, subject__startswith="Re: ")
    assert reply.sequence_message.replied_at is not None
    assert reply.conversation.lead.stage.name == "Replied"
    auto = ConversationMessage.objects.get(kind=ConversationMessage.Kind.AUTO_REPLY)
    assert auto.sequence_message.replied_at is None and auto.conversation.lead.stage.name != "Replied"
    whatsapp = Conversation.objects.get(channel="whatsapp")
    assert whatsapp.messages.count() == 3 and whatsapp.unread == 2
    assert Notification.objects.filter(kind=Notification.Kind.REPLY).count() == 2

    client.force_login(User.objects.get(first_name="Mia"))  # the demo's manager sees every thread
    page = client.get("/inbox/").content.decode()
    for conversation in (reply.conversation, auto.conversation, whatsapp):
        assert f"/inbox/{conversation.pk}/" in page
