"""Ending sessions: "Sign out everywhere" on My settings, and the site's idle limit."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from django.urls import reverse

from crm.locale import site_settings
from crm.services.sessions import LAST_SEEN_KEY
from leadflow.audit import AuditEvent
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.django_db
# The approach must not depend on where sessions are kept: the database (the default), a cache (Redis in
# production; the local-memory cache here), or signed cookies.
SESSION_STORES = [
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.signed_cookies",
]


def signed_in(user) -> Client:
    browser = Client(HTTP_USER_AGENT=f"Browser of {user.email}")
    assert browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}).status_code == 302
    return browser


def is_signed_in(browser: Client) -> bool:
    return browser.get(reverse("crm:dashboard")).status_code == 200


def set_idle_limit(minutes: int) -> None:
    record = site_settings()
    record.session_idle_minutes = minutes
    record.save()


def last_seen_ago(browser: Client, seconds: int) -> None:
    session = browser.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()
    if "sessionid" not in browser.cookies or session.session_key != browser.cookies["sessionid"].value:
        # A signed-cookie session's key is its content: hand the browser the new cookie.
        browser.cookies["sessionid"] = session.session_key


@pytest.mark.parametrize("store", SESSION_STORES)
def test_sign_out_everywhere_ends_every_session_of_the_person_and_no_one_elses(settings, store, rep_alice, rep_bob):
    settings.SESSION_ENGINE = store
    laptop, phone, bobs = signed_in(rep_alice), signed_in(rep_alice), signed_in(rep_bob)
    assert is_signed_in(laptop) and is_signed_in(phone)

    done = laptop.post(reverse("crm:sign_out_everywhere"), follow=True)

    assert done.redirect_chain[-1][0] == reverse("account_login")
    assert "You are signed out on every device and browser" in done.content.decode()
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(bobs)
    event = AuditEvent.objects.get(action="sessions.signed_out_everywhere")
    assert (event.actor, event.user_agent) == (rep_alice, f"Browser of {rep_alice.email}")
    assert is_signed_in(signed_in(rep_alice)), "signing in again works"


def test_sign_out_everywhere_takes_a_post(client, rep_alice):
    client.force_login(rep_alice)
    assert client.get(reverse("crm:sign_out_everywhere")).status_code == 405
    assert is_signed_in(client)


def test_sessions_made_before_the_first_sign_out_everywhere_stay_valid(rep_alice):
    """Generation 0 keeps Django's own session hash: deploying this signs nobody out."""
    rep_alice.refresh_from_db()
    assert rep_alice.session_generation == 0
    assert rep_alice.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(rep_alice)


@pytest.mark.parametrize("store", SESSION_STORES[:2])
def test_a_session_idle_past_the_limit_is_signed_out(settings, store, rep_alice):
    settings.SESSION_ENGINE = store
    set_idle_limit(30)
    browser = signed_in(rep_alice)
    assert is_signed_in(browser)

    last_seen_ago(browser, 29 * 60)
    assert is_signed_in(browser), "29 idle minutes are within a 30-minute limit"
    last_seen_ago(browser, 31 * 60)
    answer = browser.get(reverse("crm:leads"))

    assert answer.status_code == 302 and answer["Location"].startswith(reverse("account_login"))
    assert "You were signed out after 30 minutes without activity." in browser.get(answer["Location"]).content.decode()
    assert not is_signed_in(browser)


def test_without_a_limit_an_idle_session_stays(client, rep_alice):
    set_idle_limit(0)
    client.force_login(rep_alice)
    last_seen_ago(client, 10 * 24 * 60 * 60)

    assert is_signed_in(client)


def test_the_last_activity_is_written_at_most_once_a_minute(client, rep_alice):
    set_idle_limit(30)
    client.force_login(rep_alice)
    is_signed_in(client)
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 1

    last_seen_ago(client, 40)
    stamped = client.session[LAST_SEEN_KEY]
    is_signed_in(client)
    assert client.session[LAST_SEEN_KEY] == stamped, "40 seconds on, the session is not written again"
    last_seen_ago(client, 61)
    is_signed_in(client)

    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 1
