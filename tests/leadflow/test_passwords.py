"""Passwords are hashed with Argon2id at OWASP's parameters; older hashes still sign in and are upgraded then."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"
# The test settings hash with MD5 for speed; these tests put the production list back.
PRODUCTION_HASHERS = [
    "leadflow.passwords.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def test_the_production_settings_hash_with_argon2id_first():
    from leadflow import settings as production

    assert production.PASSWORD_HASHERS == PRODUCTION_HASHERS


def test_a_new_password_is_argon2id_with_owasp_parameters(production_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert identify_hasher(encoded).algorithm == "argon2"


def test_a_pbkdf2_password_signs_in_and_is_rehashed(production_hashers):
    user = UserFactory()
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])

    answer = Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD}).status_code == 302
