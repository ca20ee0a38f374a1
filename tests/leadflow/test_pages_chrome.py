"""What every page shares: an icon for the browser's tab, and the site's own page when something is not allowed."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_browser_finds_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")


def test_a_refusal_is_the_sites_page_with_the_reason_and_a_way_back(client, rep_alice):
    client.force_login(rep_alice)
    response = client.get(reverse("crm:settings_pipeline"), HTTP_REFERER="/leads/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Only admins can do that." in page and 'href="/leads/"' in page and "Dashboard" in page


def test_the_login_page_does_not_send_people_to_a_closed_sign_up(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "sign up" not in page.lower() and reverse("account_signup") not in page
    assert "Accounts are made by invitation" in page and 'name="password"' in page
