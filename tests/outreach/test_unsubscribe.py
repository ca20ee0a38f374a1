"""Every sequence email's personal unsubscribe link: a GET only asks (a scanner following links unsubscribes nobody),
a POST unsubscribes at once, the RFC 8058 one-click POST too, with no login and no CSRF token."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from crm.models import Activity
from outreach.models import Enrollment, MessageEvent, Suppression
from outreach.suppression import suppress, suppression_reason
from outreach.tracking import unsubscribe_headers, unsubscribe_url
from tests.factories import EnrollmentFactory, MessageFactory


@pytest.fixture
def message(db):
    return MessageFactory(to_email="Priya@Prospect.example")


@pytest.fixture
def mail_provider():
    """A mail provider's server: no session, no cookies, and CSRF checked as a browser's request would be."""
    return Client(enforce_csrf_checks=True)


def _path(message) -> str:
    return urlsplit(unsubscribe_url(message)).path


def test_opening_the_link_asks_to_confirm_and_changes_nothing(mail_provider, message):
    response = mail_provider.get(_path(message))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Priya@Prospect.example" in page and "<button>Unsubscribe</button>" in page
    assert "Sam Seller" in page
    assert not Suppression.objects.exists()
    assert not MessageEvent.objects.exists()
    message.enrollment.refresh_from_db()
    assert message.enrollment.status == Enrollment.Status.ACTIVE


def test_the_one_click_post_unsubscribes_at_once_without_login_or_csrf_token(mail_provider, message):
    other_sequence = EnrollmentFactory(lead=message.lead)
    url = unsubscribe_headers(message)["List-Unsubscribe"].strip("<>")

    response = mail_provider.post(
        urlsplit(url).path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert suppression_reason("priya@prospect.example") == Suppression.Reason.UNSUBSCRIBED
    entry = Suppression.objects.get()
    assert (entry.email, entry.message) == ("priya@prospect.example", message)
    message.refresh_from_db()
    assert message.unsubscribed_at is not None
    event = MessageEvent.objects.get()
    assert (event.kind, event.via) == ("unsubscribed", "one-click")
    for enrollment in (message.enrollment, other_sequence):
        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.stop_reason) == ("stopped", "unsubscribed")
    assert Activity.objects.filter(lead=message.lead, kind=Activity.Kind.UNSUBSCRIBED).count() == 1


def test_the_pages_button_unsubscribes_and_a_second_press_changes_nothing_more(mail_provider, message):
    mail_provider.post(_path(message))
    message.refresh_from_db()
    unsubscribed_at = message.unsubscribed_at

    response = mail_provider.post(_path(message))

    assert response.status_code == 200
    assert Suppression.objects.count() == 1
    assert MessageEvent.objects.filter(kind="unsubscribed", via="unsubscribe page").exists()
    message.refresh_from_db()
    assert message.unsubscribed_at == unsubscribed_at
    assert Activity.objects.filter(lead=message.lead, kind=Activity.Kind.UNSUBSCRIBED).count() == 1


def test_unsubscribing_again_after_staff_lifted_the_suppression_suppresses_again(mail_provider, message):
    mail_provider.post(_path(message))
    Suppression.objects.all().delete()

    mail_provider.post(_path(message))

    assert suppression_reason(message.to_email) == Suppression.Reason.UNSUBSCRIBED


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_not_found(mail_provider, message, method):
    path = _path(message)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")

    assert getattr(mail_provider, method)(tampered).status_code == 404
    assert not Suppression.objects.exists()


def test_an_address_is_suppressed_by_its_own_entry_or_its_domains(db):
    assert suppression_reason("ann@prospect.example") is None
    suppress("@Prospect.example", Suppression.Reason.MANUAL)
    suppress("bob@elsewhere.example", Suppression.Reason.HARD_BOUNCE)

    assert suppression_reason(" Ann@PROSPECT.example ") == Suppression.Reason.MANUAL
    assert suppression_reason("bob@elsewhere.example") == Suppression.Reason.HARD_BOUNCE
    assert suppression_reason("carl@elsewhere.example") is None
    assert suppression_reason("not an address") is None


def test_suppressing_again_keeps_the_first_entry(db):
    first = suppress("ann@prospect.example", Suppression.Reason.UNSUBSCRIBED)
    again = suppress("ANN@prospect.example", Suppression.Reason.COMPLAINT)

    assert again.pk == first.pk
    assert Suppression.objects.get().reason == Suppression.Reason.UNSUBSCRIBED
