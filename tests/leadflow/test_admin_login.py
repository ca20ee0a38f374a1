"""Signing in to the back office goes through allauth's form and its lockout; the cache that counts failed logins
is shared by every process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from tests.browser.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# Leadflow's own limit (leadflow/settings.py); the test settings switch limits off, these tests switch them on.
LOGIN_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
LOCKED = "Too many failed login attempts. Try again later."


def admin_sign_in_page(client) -> str:
    """Where /admin/login/ sends a visitor (the URL of allauth's form, with the admin as the next page)."""
    response = client.get(reverse("admin:login"), {"next": reverse("admin:crm_lead_changelist")}, follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


@pytest.mark.django_db
def test_the_admin_login_sends_a_visitor_to_allauths_form_and_back_to_the_admin(client, admin_ada):
    sign_in = admin_sign_in_page(client)
    assert sign_in == f"{reverse('account_login')}?next=/admin/crm/lead/"

    response = client.post(sign_in, {"login": admin_ada.email, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:crm_lead_changelist")
    assert response.status_code == 200


@pytest.mark.django_db
def test_wrong_passwords_on_the_admin_login_lock_the_account_even_for_the_right_one(client, admin_ada, settings):
    settings.ACCOUNT_RATE_LIMITS = LOGIN_LIMITS
    sign_in = admin_sign_in_page(client)

    for attempt in range(5):
        wrong = client.post(sign_in, {"login": admin_ada.email, "password": f"guess {attempt}"})
        assert "are not correct" in wrong.content.decode(), attempt
    right = client.post(sign_in, {"login": admin_ada.email, "password": PASSWORD})

    assert LOCKED in right.content.decode()
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_posting_a_password_to_the_admin_login_signs_nobody_in(client, admin_ada):
    # The admin's own form took passwords without any lockout; its URL now only points at allauth's form.
    response = client.post(reverse("admin:login"), {"username": admin_ada.email, "password": PASSWORD})

    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_signed_in_rep_is_refused_the_admin_rather_than_sent_round_in_circles(client, rep_alice):
    client.force_login(rep_alice)

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == 403
    assert "Your account has no access to the back office." in response.content.decode()


@pytest.mark.django_db
def test_the_admin_login_sends_nobody_to_another_site(client):
    response = client.get(reverse("admin:login"), {"next": "https://evil.example/"})

    assert response["Location"] == f"{reverse('account_login')}?next=/admin/"


def _database_url() -> str:
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_the_cache_that_counts_failed_logins():
    code = (
        "import django; django.setup()\n"
        "from django.core.cache import cache\n"
        "print(cache.get('probe-from-the-test'))\n"
        "cache.set('probe-from-the-other-process', 'seen', 60)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadflow.settings_test", "DATABASE_URL": _database_url()}
    cache.set("probe-from-the-test", "shared", 60)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True
        )
        assert done.stdout.strip() == "shared"
        assert cache.get("probe-from-the-other-process") == "seen"
    finally:
        cache.delete_many(["probe-from-the-test", "probe-from-the-other-process"])


def _cache_backend_for(**environ: str) -> str:
    """The default cache's backend as leadflow/settings.py chooses it for an environment (in a fresh process)."""
    code = "from django.conf import settings\nprint(settings.CACHES['default']['BACKEND'])\n"
    env = {**os.environ, **environ, "DJANGO_SETTINGS_MODULE": "leadflow.settings_test"}
    for name in ("CACHE_URL", "REDIS_URL"):
        if name not in environ:
            env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True
    )
    return done.stdout.strip()


def test_the_cache_is_the_database_unless_redis_is_named():
    assert _cache_backend_for() == "django.core.cache.backends.db.DatabaseCache"
    assert _cache_backend_for(REDIS_URL="redis://127.0.0.1:6379/1") == "django.core.cache.backends.redis.RedisCache"
    assert _cache_backend_for(CACHE_URL="redis://127.0.0.1:6379/2") == "django.core.cache.backends.redis.RedisCache"
    assert settings.CACHES["default"]["BACKEND"] in {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    }


@pytest.mark.django_db
def test_a_flood_of_cache_entries_does_not_clear_a_lockout_count():
    # Django's database cache deletes a third of its entries past MAX_ENTRIES, oldest keys by name first.
    cache.set("a-lockout-count", 5, 300)

    cache.set_many({f"made-up-account-{n}": 1 for n in range(400)}, 300)

    assert cache.get("a-lockout-count") == 5
