"""Sign-ins in the audit log, and each person's own list of them on My settings."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from leadflow.audit import AuditEvent, record
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(user_email: str, password: str, *, browser: str = "Firefox/140", ip: str = "203.0.113.7") -> Client:
    client = Client(HTTP_USER_AGENT=browser, REMOTE_ADDR=ip)
    client.post(reverse("account_login"), {"login": user_email, "password": password})
    return client


def test_a_sign_in_is_logged_with_when_where_and_which_browser(rep_alice):
    sign_in(rep_alice.email, PASSWORD)

    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_label) == ("login.succeeded", rep_alice, rep_alice.email)
    assert (event.ip, event.user_agent, event.channel) == ("203.0.113.7", "Firefox/140", "web")
    assert event.details == {"methods": ["password"]}


def test_a_wrong_password_is_logged_as_the_accounts_without_the_password(rep_alice):
    sign_in(rep_alice.email.upper(), "Tr0ub4dor&3 wrong")

    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.ip) == ("login.failed", rep_alice, "203.0.113.7")
    assert event.details == {"step": "password"}
    assert "Tr0ub4dor" not in json.dumps([event.details, event.changes, event.object_label, event.user_agent])


def test_an_unknown_email_keeps_only_its_domain_and_a_keyed_hash(rep_alice):
    sign_in("stranger.person@example.org", "hunter2 guess")
    sign_in("Stranger.Person@example.org", "another guess")

    first, second = AuditEvent.objects.order_by("id")
    assert (first.action, first.actor, first.actor_label) == ("login.failed", None, "")
    assert first.details["email_domain"] == "example.org"
    assert first.details["email_hash"] == second.details["email_hash"], "repeated tries on one address show"
    stored = json.dumps([first.details, first.changes, first.object_label])
    assert "stranger" not in stored.lower() and "guess" not in stored and "hunter2" not in stored


def test_my_settings_lists_my_sign_ins_and_never_anyone_elses(rep_alice, rep_bob):
    sign_in(rep_bob.email, PASSWORD, browser="Bob's browser", ip="198.51.100.2")
    sign_in(rep_bob.email, "wrong", browser="Bob's browser", ip="198.51.100.2")
    sign_in(rep_alice.email, "wrong", browser="Alice's phone", ip="192.0.2.44")
    alice = sign_in(rep_alice.email, PASSWORD, browser="Alice's laptop", ip="192.0.2.45")

    page = alice.get(reverse("crm:my_settings")).content.decode()

    assert "Alice&#x27;s phone" in page and "192.0.2.44" in page and "Failed" in page
    assert "Alice&#x27;s laptop" in page and "192.0.2.45" in page and "Signed in" in page
    assert "Bob" not in page and "198.51.100.2" not in page
    assert page.index("192.0.2.45") < page.index("192.0.2.44"), "newest first"
    history = alice.get(reverse("crm:my_sign_ins")).content.decode()
    assert "192.0.2.45" in history and "198.51.100.2" not in history


def test_my_settings_shows_the_last_20_and_links_to_older_ones(client, rep_alice):
    for n in range(25):
        record("login.succeeded", actor=rep_alice, channel="web", details={"methods": [f"method-{n:02d}"]})
    client.force_login(rep_alice)  # one more sign-in: 26 in all

    page = client.get(reverse("crm:my_settings")).content.decode()
    assert page.count("<tr>") - 1 == 20  # rows under the header
    assert "method-24" in page and "method-06" in page and "method-05" not in page
    assert f'href="{reverse("crm:my_sign_ins")}?page=2"' in page

    older = client.get(reverse("crm:my_sign_ins"), {"page": 2}).content.decode()
    assert "method-05" in older and "method-00" in older and "method-06" not in older
    assert "Page 2 of 2" in older
    assert client.get(reverse("crm:my_sign_ins"), {"page": "x"}).status_code == 200


def test_changing_my_own_password_is_logged_without_either_password(rep_alice):
    client = sign_in(rep_alice.email, PASSWORD)
    new_password = "a much longer passphrase 7"

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.password_changed")
    assert (event.actor, event.object_id, event.details) == (rep_alice, str(rep_alice.pk), {"how": "changed"})
    stored = json.dumps([event.details, event.changes, event.object_label])
    assert PASSWORD not in stored and new_password not in stored
