"""Signing in through allauth's form and landing on the dashboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_it_signs_in_with_email_and_password_and_lands_on_the_dashboard(page: Page, live_server, rep_alice):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    page.get_by_label("Email").fill("alice@leadflow.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.locator(".topbar .me")).to_contain_text("Alice Example · Rep")
    expect(page.get_by_role("link", name="My tasks")).to_be_visible()


def test_it_refuses_a_wrong_password(page: Page, rep_alice):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("alice@leadflow.test")
    page.get_by_label("Password").fill("battery horse correct")
    page.get_by_role("button", name="Sign In").click()

    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
