"""Two-factor sign-in (allauth.mfa): enrolling an authenticator app, a code accepted once, the code step's lockout,
and Admins sent to enroll while the site requires it."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from crm.locale import site_settings
from leadflow.audit import AuditEvent
from tests.browser.conftest import PASSWORD
from tests.totp import totp_code, wait_for_period_with

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LOGIN_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACTIVATE = "/accounts/2fa/totp/activate/"


def sign_in_with_password(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def confirm_password(client) -> None:
    """allauth asks for the password again before two-factor is turned on or off."""
    confirmed = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert confirmed.status_code == 302


def require_admin_two_factor(on: bool = True) -> None:
    record = site_settings()
    record.require_admin_two_factor = on
    record.save()


def test_a_person_enrolls_an_authenticator_app_from_my_settings(client, rep_alice, django_capture_on_commit_callbacks):
    sign_in_with_password(client, rep_alice)
    my_settings = client.get(reverse("crm:my_settings")).content.decode()
    assert f'href="{reverse("mfa_index")}"' in my_settings and "Two-factor: off" in my_settings
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    confirm_password(client)

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert 'class="topbar"' in page.content.decode()  # the app's own page, not allauth's bare one

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "1"})
    assert not Authenticator.objects.filter(user=rep_alice).exists()
    assert wrong.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # allauth announces the new method once committed
        done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert done.status_code == 302
    assert set(Authenticator.objects.filter(user=rep_alice).values_list("type", flat=True)) == {
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    }
    event = AuditEvent.objects.get(action="mfa.enabled")
    assert (event.actor, event.details) == (rep_alice, {"type": "totp"})
    assert "Two-factor: <strong>on</strong>" in client.get(reverse("crm:my_settings")).content.decode()


def test_turning_the_app_off_is_logged(client, rep_alice):
    sign_in_with_password(client, rep_alice)
    TOTP.activate(rep_alice, SECRET)
    confirm_password(client)

    client.post(reverse("mfa_deactivate_totp"))

    assert not Authenticator.objects.filter(user=rep_alice, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.get(action="mfa.disabled").details == {"type": "totp"}


def test_a_code_signs_in_once_and_is_refused_again_within_its_period(client, rep_alice):
    TOTP.activate(rep_alice, SECRET)
    wait_for_period_with(10)
    code = totp_code(SECRET)

    assert sign_in_with_password(client, rep_alice)["Location"] == reverse("mfa_authenticate")
    signed_in = client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in["Location"] == reverse("crm:dashboard")
    client.post(reverse("account_logout"))

    sign_in_with_password(client, rep_alice)
    again = client.post(reverse("mfa_authenticate"), {"code": code})

    assert again.status_code == 200 and "Incorrect code" in again.content.decode()
    assert client.get(reverse("crm:dashboard")).status_code == 302
    failed = AuditEvent.objects.filter(action="login.failed").get()
    assert (failed.actor, failed.details) == (rep_alice, {"step": "two-factor code"})
    succeeded = AuditEvent.objects.get(action="login.succeeded")
    assert succeeded.details == {"methods": ["password", "totp"]}


def test_wrong_codes_lock_the_code_step_like_wrong_passwords(client, rep_alice, settings):
    settings.ACCOUNT_RATE_LIMITS = LOGIN_LIMITS
    TOTP.activate(rep_alice, SECRET)
    sign_in_with_password(client, rep_alice)
    wrong = "000000" if totp_code(SECRET) != "000000" else "111111"

    for attempt in range(5):
        refused = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert "Incorrect code" in refused.content.decode(), attempt
    locked = client.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})

    assert "Too many failed login attempts" in locked.content.decode()
    assert client.get(reverse("crm:dashboard")).status_code == 302


def test_an_admin_without_two_factor_is_sent_to_enroll_from_every_page(client, admin_ada):
    require_admin_two_factor()
    sign_in_with_password(client, admin_ada)

    for url in (reverse("crm:dashboard"), reverse("crm:leads"), reverse("crm:my_settings"), "/admin/"):
        assert client.get(url)["Location"] == ACTIVATE, url
    htmx = client.get(reverse("crm:leads"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == ACTIVATE
    assert client.get(ACTIVATE)["Location"].startswith(reverse("account_reauthenticate"))
    confirm_password(client)
    assert client.get(ACTIVATE).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.post(reverse("account_logout"))["Location"] == reverse("account_login")


def test_an_admin_with_two_factor_a_rep_or_a_site_not_requiring_it_go_where_they_asked(client, admin_ada, rep_alice):
    require_admin_two_factor(on=False)
    client.force_login(admin_ada)
    assert client.get(reverse("crm:dashboard")).status_code == 200

    require_admin_two_factor()
    assert client.get(reverse("crm:dashboard"))["Location"] == ACTIVATE, "already signed in: sent at the next page"
    client.force_login(rep_alice)
    assert client.get(reverse("crm:dashboard")).status_code == 200

    TOTP.activate(admin_ada, SECRET)
    client.force_login(admin_ada)
    assert client.get(reverse("crm:dashboard")).status_code == 200


def test_only_admins_set_the_sign_in_security_and_the_change_is_logged(client, admin_ada, manager_mia):
    client.force_login(manager_mia)
    assert client.post(reverse("crm:settings_security"), {"session_idle_minutes": "5"}).status_code == 403

    client.force_login(admin_ada)
    page = client.get(reverse("crm:settings_general")).content.decode()
    assert "Require two-factor for Admins" in page and "Sign out after idle minutes" in page
    refused = client.post(reverse("crm:settings_security"), {"session_idle_minutes": "-1"})
    assert refused.status_code == 422
    saved = client.post(
        reverse("crm:settings_security"), {"require_admin_two_factor": "on", "session_idle_minutes": "30"}
    )

    assert saved["Location"] == reverse("crm:settings_general")
    record = site_settings()
    assert (record.require_admin_two_factor, record.session_idle_minutes) == (True, 30)
    event = AuditEvent.objects.get(action="site.security_changed")
    assert event.changes == {"require_admin_two_factor": [False, True], "session_idle_minutes": [0, 30]}
