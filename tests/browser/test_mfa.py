"""Two-factor sign-in in a real browser: enrolling an authenticator app from My settings, signing in with its code,
a code refused the second time within its period, and an Admin sent to enroll while the site requires it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm.locale import site_settings
from tests.browser.conftest import PASSWORD
from tests.totp import totp_code, wait_for_period_with

pytestmark = pytest.mark.browser
ACTIVATE = "/accounts/2fa/totp/activate/"


def sign_in_with_password(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()


def confirm_password(page: Page) -> None:
    """allauth asks for the password again before two-factor is turned on."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def enroll_authenticator_app(page: Page) -> str:
    """Activate an authenticator app on the page allauth shows, as a phone would; return its secret."""
    expect(page).to_have_url(re.compile(ACTIVATE))
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    return secret


def sign_out(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_enroll_then_sign_in_with_a_code_and_a_reused_code_is_refused(page: Page, log_in, rep_alice):
    log_in(rep_alice)
    page.get_by_role("link", name="Alice Example").click()
    expect(page.get_by_text("Two-factor: off")).to_be_visible()
    page.get_by_role("link", name="Two-factor and passkeys").click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_role("link", name="Activate").click()
    confirm_password(page)
    secret = enroll_authenticator_app(page)
    page.goto("/me/")
    expect(page.get_by_text("Two-factor: on")).to_be_visible()
    sign_out(page)

    # Both sign-ins below must fall in one 30-second period, so that the second is refused for reuse alone.
    wait_for_period_with(20)
    code = totp_code(secret)
    sign_in_with_password(page, rep_alice.email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    sign_out(page)

    sign_in_with_password(page, rep_alice.email)
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Sign In", exact=True).click()

    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    assert code == totp_code(secret), "still the code's own period: refused because it was used"
    page.goto("/me/")  # not signed in: sent back to the sign-in, which still waits for a code
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def test_an_admin_without_two_factor_is_sent_to_enroll_until_done(page: Page, admin_ada):
    record = site_settings()
    record.require_admin_two_factor = True
    record.save()

    sign_in_with_password(page, admin_ada.email)
    confirm_password(page)
    expect(page).to_have_url(re.compile(ACTIVATE))
    for path in ("/", "/leads/", "/settings/general/", "/me/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(ACTIVATE))
    expect(page.get_by_text("This site requires two-factor sign-in for Admins")).to_be_visible()

    enroll_authenticator_app(page)
    page.goto("/leads/")

    expect(page.get_by_role("heading", name="Leads", level=1)).to_be_visible()


def test_a_passkey_added_on_my_settings_signs_in_alone(page: Page, log_in, rep_alice):
    # Chromium's virtual authenticator stands in for a phone or security key: it verifies the user and answers at once.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    log_in(rep_alice)
    page.goto("/me/")
    page.get_by_role("link", name="Two-factor and passkeys").click()
    page.get_by_role("link", name="Add").click()
    confirm_password(page)
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    sign_out(page)

    page.get_by_role("button", name="Use a passkey").click()

    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.goto("/me/")
    expect(page.locator(".sign-ins tbody tr").first).to_contain_text("passkey")
