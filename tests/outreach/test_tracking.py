"""The links in sent mail: a signed open pixel and click redirects (never an open redirect), the HTML and text parts
that carry them, and machine opens and clicks told apart from people's."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from crm.models import Activity
from outreach.machines import LINK_BURST
from outreach.models import MessageEvent
from outreach.tracking import (
    click_url,
    message_html,
    message_text,
    open_pixel_url,
    unsubscribe_headers,
    unsubscribe_url,
)
from tests.factories import MessageFactory

PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
BODY = (
    "Hi Priya,\nour rates: https://acme.example/rates.\n\nBook a call at https://acme.example/call?ref=seq&x=1 or not."
)


@pytest.fixture
def message(db):
    return MessageFactory(body=BODY)


def _path(url: str) -> str:
    return urlsplit(url).path


def _tampered(url: str) -> str:
    """The same link with one character of its token's signature changed."""
    path = _path(url)
    index = path.rindex(":") + 3
    return path[:index] + ("A" if path[index] != "A" else "B") + path[index + 1 :]


def test_the_pixel_records_a_persons_open_once_on_the_message_and_each_on_the_timeline(client, message):
    response = client.get(_path(open_pixel_url(message)), HTTP_USER_AGENT=PERSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    message.refresh_from_db()
    opened = message.opened_at
    assert opened is not None
    event = MessageEvent.objects.get(message=message)
    assert (event.kind, event.machine, event.via) == ("opened", False, "pixel")
    client.get(_path(open_pixel_url(message)), HTTP_USER_AGENT=PERSON)
    message.refresh_from_db()
    assert message.opened_at == opened
    assert Activity.objects.filter(lead=message.lead, kind=Activity.Kind.EMAIL_OPENED).count() == 2


@pytest.mark.parametrize("token_path", ["/t/o/nonsense.gif", "/t/o/MQ:forged.gif", "tampered", "click token"])
def test_the_pixel_is_an_image_whatever_the_token_and_records_nothing_for_a_bad_one(client, message, token_path):
    if token_path == "tampered":
        token_path = _tampered(open_pixel_url(message))
    elif token_path == "click token":
        token = _path(click_url(message, "https://acme.example/rates")).rsplit("/", 1)[1]
        token_path = f"/t/o/{token}.gif"

    response = client.get(token_path, HTTP_USER_AGENT=PERSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert not MessageEvent.objects.exists()


def test_a_click_is_recorded_and_redirected_to_the_signed_url(client, message):
    target = "https://acme.example/call?ref=seq&x=1"

    response = client.get(_path(click_url(message, target)), HTTP_USER_AGENT=PERSON)

    assert response.status_code == 302
    assert response["Location"] == target
    message.refresh_from_db()
    assert message.clicked_at is not None and message.opened_at is not None  # a click is an open too
    event = MessageEvent.objects.get(message=message)
    assert (event.kind, event.url, event.machine, event.via) == ("clicked", target, False, "redirect")
    line = Activity.objects.get(lead=message.lead, kind=Activity.Kind.EMAIL_CLICKED)
    assert line.data["event"] == event.pk


def test_a_tampered_click_token_is_not_found_and_goes_nowhere(client, message):
    response = client.get(_tampered(click_url(message, "https://acme.example/rates")))

    assert response.status_code == 404
    assert not MessageEvent.objects.exists()


def test_a_click_token_cannot_be_made_to_point_elsewhere(client, message):
    """The URL is inside the signed value: a token of ours with another URL pasted in fails its signature."""
    good = _path(click_url(message, "https://acme.example/rates"))
    other = _path(click_url(message, "https://evil.example/"))
    forged = good.rsplit(":", 1)[0] + ":" + other.rsplit(":", 1)[1]

    assert client.get(forged).status_code == 404
    # Nor do other tokens of ours: the open pixel's and the unsubscribe link's are signed for their own use.
    open_token = _path(open_pixel_url(message)).removeprefix("/t/o/").removesuffix(".gif")
    assert client.get(f"/t/c/{open_token}").status_code == 404
    unsubscribe_token = _path(unsubscribe_url(message)).removeprefix("/u/")
    assert client.get(f"/t/c/{unsubscribe_token}").status_code == 404


def test_the_html_part_tracks_every_link_and_carries_the_pixel_footer_and_escaped_text(message, settings):
    settings.SITE_URL = "https://crm.acme.example"
    html = message_html(message, BODY + "\n<script>alert(1)</script> & more")

    assert 'href="https://acme.example/rates"' not in html
    assert html.count('href="https://crm.acme.example/t/c/') == 2
    assert ">https://acme.example/rates</a>." in html  # the sentence's full stop stays outside the link
    assert 'src="https://crm.acme.example/t/o/' in html
    assert f'href="{unsubscribe_url(message)}"' in html
    assert "1 Harbour Street" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<br>" in html and html.count("<p>") == 2


def test_the_text_part_keeps_its_links_and_ends_with_the_postal_address_and_unsubscribe_link(message):
    text = message_text(message, BODY)

    assert text.startswith(BODY)
    assert "https://acme.example/rates" in text and "/t/c/" not in text
    assert "Acme Ltd, 1 Harbour Street" in text
    assert text.rstrip().endswith(unsubscribe_url(message))


def test_the_one_click_unsubscribe_headers_follow_rfc_8058(message, settings):
    settings.SITE_URL = "https://crm.acme.example"

    headers = unsubscribe_headers(message)

    assert headers == {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert headers["List-Unsubscribe"].startswith("<https://crm.acme.example/u/")


@pytest.mark.parametrize(
    ("user_agent", "reason"),
    [
        ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", "Gmail image"),
        ("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", "Yahoo Mail image"),
        ("Mozilla/5.0", "Apple Mail Privacy Protection"),
        ("Mozilla/5.0 (compatible; Barracuda Sentinel (EE))", "Barracuda"),
        ("Mimecast URL Protect", "Mimecast"),
        ("Proofpoint URL Defense", "Proofpoint"),
        ("python-requests/2.31.0", "script"),
        ("", "no user agent"),
    ],
)
def test_machine_opens_are_kept_as_such_and_count_for_nothing(client, message, user_agent, reason):
    client.get(_path(open_pixel_url(message)), HTTP_USER_AGENT=user_agent)

    event = MessageEvent.objects.get(message=message)
    assert event.machine
    assert reason in event.machine_reason
    message.refresh_from_db()
    assert message.opened_at is None
    assert not Activity.objects.filter(lead=message.lead, kind=Activity.Kind.EMAIL_OPENED).exists()


def test_a_scanners_click_from_microsofts_address_range_is_a_machines(client, message):
    response = client.get(
        _path(click_url(message, "https://acme.example/rates")), HTTP_USER_AGENT=PERSON, REMOTE_ADDR="40.107.22.9"
    )

    assert response.status_code == 302  # the scanner still gets where the link goes
    event = MessageEvent.objects.get(message=message)
    assert (event.machine, event.machine_reason) == (True, "Microsoft Defender scanner")
    message.refresh_from_db()
    assert message.clicked_at is None


def test_an_open_within_seconds_of_delivery_is_a_machines(client, message, settings):
    settings.OUTREACH_MACHINE_SECONDS = 10
    message.delivered_at = timezone.now() - datetime.timedelta(seconds=3)
    message.save()

    client.get(_path(open_pixel_url(message)), HTTP_USER_AGENT=PERSON)

    event = MessageEvent.objects.get(message=message)
    assert (event.machine, event.machine_reason) == (True, "within 10 s of delivery")


def test_an_open_a_while_after_delivery_is_a_persons(client, message, settings):
    settings.OUTREACH_MACHINE_SECONDS = 10
    message.delivered_at = timezone.now() - datetime.timedelta(seconds=30)
    message.save()

    client.get(_path(open_pixel_url(message)), HTTP_USER_AGENT=PERSON)

    assert not MessageEvent.objects.get(message=message).machine


def test_every_link_clicked_at_once_is_a_scanner_from_its_first_click(client, message):
    links = ["https://acme.example/rates", "https://acme.example/call?ref=seq&x=1"]
    client.get(_path(click_url(message, links[0])), HTTP_USER_AGENT=PERSON)
    message.refresh_from_db()
    assert message.clicked_at is not None  # one link of two: a person, as far as anyone can tell yet

    client.get(_path(click_url(message, links[1])), HTTP_USER_AGENT=PERSON)

    events = list(MessageEvent.objects.filter(message=message).order_by("occurred_at"))
    assert [(event.machine, event.machine_reason) for event in events] == [(True, LINK_BURST)] * 2
    message.refresh_from_db()
    assert (message.clicked_at, message.opened_at) == (None, None)
    line = Activity.objects.get(lead=message.lead, kind=Activity.Kind.EMAIL_CLICKED)
    assert line.data["machine"] is True


def test_a_person_clicking_the_same_link_twice_stays_a_person(client, message):
    for _ in range(2):
        client.get(_path(click_url(message, "https://acme.example/rates")), HTTP_USER_AGENT=PERSON)

    assert not MessageEvent.objects.filter(machine=True).exists()
    message.refresh_from_db()
    assert message.clicked_at is not None
