"""Services whose webhooks carry no signature of their own (Postmark, SendGrid, Resend) are believed only with the
ANYMAIL_WEBHOOK_SECRET basic auth: without it anyone could post "unsubscribed" or "bounced" for our messages."""

import base64
import json

import pytest
from django.utils import timezone

from crm.models import Activity
from outreach.models import MessageEvent
from tests.factories import MessageFactory

URL = "/anymail/postmark/tracking/"
OPEN = {
    "RecordType": "Open",
    "FirstOpen": True,
    "Platform": "Desktop",
    "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Recipient": "priya@prospect.example",
    "Tag": "",
    "MessageStream": "outbound",
    "Metadata": {},
}


@pytest.fixture
def message(db):
    return MessageFactory(provider_message_id="883953f4-6105-42a2-a16a-77a8eac79483")


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")  # what this test is about
def test_without_a_webhook_secret_an_unsigned_services_event_is_refused(client, settings, message):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": None}

    response = client.post(URL, json.dumps(OPEN), content_type="application/json")

    assert response.status_code == 400
    assert not MessageEvent.objects.exists()


def test_with_the_secret_its_events_are_recorded(client, settings, message):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "postmark:s3cret"}
    auth = "Basic " + base64.b64encode(b"postmark:s3cret").decode()

    payload = {**OPEN, "ReceivedAt": timezone.now().isoformat().replace("+00:00", "Z")}

    response = client.post(URL, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth)

    assert response.status_code == 200
    event = MessageEvent.objects.get()
    assert (event.kind, event.via, event.machine) == ("opened", "postmark", False)
    assert Activity.objects.filter(lead=message.lead, kind=Activity.Kind.EMAIL_OPENED).exists()
