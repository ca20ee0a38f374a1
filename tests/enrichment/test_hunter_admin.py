"""An admin presses "Test connection" on the Hunter account and reads what Hunter said of the saved key; nobody else
can, and the button is a CSRF-checked POST."""

import pytest
from django.test import Client
from django.urls import reverse

from enrichment.models import ProviderAccount

pytestmark = pytest.mark.django_db

KEY = "hunter-saved-key-0c1d2e3f4a5b"


@pytest.fixture
def hunter(hunter_stand_in):
    """The stand-in, with no key in the environment: the saved one is used."""
    return hunter_stand_in


@pytest.fixture
def account():
    return ProviderAccount.objects.create(provider="hunter", api_key=KEY)


def connection_test_url(account) -> str:
    return reverse("admin:enrichment_provideraccount_test", args=[account.pk])


def change_url(account) -> str:
    return reverse("admin:enrichment_provideraccount_change", args=[account.pk])


def test_the_change_page_has_a_test_connection_button(client, admin_ada, account):
    client.force_login(admin_ada)

    page = client.get(change_url(account)).content.decode()

    assert f'action="{connection_test_url(account)}"' in page and "Test connection</button>" in page


def test_an_admin_tests_the_saved_key_and_reads_the_plan_and_credits(client, admin_ada, account, hunter):
    hunter.answers("account", "account")
    client.force_login(admin_ada)

    response = client.post(connection_test_url(account), follow=True)

    assert response.redirect_chain == [(change_url(account), 302)]
    assert "Hunter.io: Connected: plan Starter, 120 of 500 credits used, resets 2026-12-31" in response.content.decode()
    assert hunter.requests("account")[0].headers["X-API-KEY"] == KEY


def test_a_rejected_key_is_shown_as_an_error(client, admin_ada, account, hunter):
    hunter.answers("account", "error-401-authentication-failed", status=401)
    client.force_login(admin_ada)

    page = client.post(connection_test_url(account), follow=True).content.decode()

    assert "Hunter.io: Hunter rejected the API key" in page and KEY not in page


def test_an_unreadable_answer_is_shown_as_an_error(client, admin_ada, account, hunter):
    hunter.answers_raw("account", "<html>Down for maintenance</html>", content_type="text/html")
    client.force_login(admin_ada)

    page = client.post(connection_test_url(account), follow=True).content.decode()

    assert "Hunter.io: Hunter sent an answer that could not be read" in page


def test_an_account_without_a_key_says_so_without_asking_hunter(client, admin_ada, hunter):
    account = ProviderAccount.objects.create(provider="hunter", api_key="")
    client.force_login(admin_ada)

    page = client.post(connection_test_url(account), follow=True).content.decode()

    assert "No Hunter API key is saved." in page and hunter.requests() == []


def test_a_key_in_the_environment_is_pointed_out(client, admin_ada, account, hunter, settings):
    settings.HUNTER_API_KEY = "hunter-env-key-ffff0000"
    hunter.answers("account", "account")
    client.force_login(admin_ada)

    page = client.post(connection_test_url(account), follow=True).content.decode()

    assert "HUNTER_API_KEY is set in the environment: jobs use that key, not this one." in page


def test_opening_the_test_address_does_nothing(client, admin_ada, account, hunter):
    client.force_login(admin_ada)

    assert client.get(connection_test_url(account)).status_code == 405
    assert hunter.requests() == []


def test_the_button_needs_the_forms_csrf_token(admin_ada, account, hunter):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_ada)

    assert browser.post(connection_test_url(account)).status_code == 403
    assert hunter.requests() == []


@pytest.mark.parametrize("persona", ["manager_mia", "rep_alice", "viewer_vic"])
def test_nobody_but_admins_can_test_the_key(client, request, persona, account, hunter):
    user = request.getfixturevalue(persona)
    user.is_staff = True
    user.save()
    client.force_login(user)

    assert client.post(connection_test_url(account)).status_code == 403
    assert hunter.requests() == []
