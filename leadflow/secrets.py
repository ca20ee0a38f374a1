"""Secrets kept in the database (provider API keys) are encrypted at rest with Fernet.

The Fernet keys are derived from SECRET_KEY and then each of SECRET_KEY_FALLBACKS, so rotating SECRET_KEY the way
Django documents it (the old key moved to the fallbacks) loses nothing: values written under an old key still read,
and are written under the new one the next time they are saved.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

# Binds the derived keys to this one use, so they differ from anything else derived from SECRET_KEY.
DERIVATION_CONTEXT = b"leadflow encrypted fields"


class SecretUnreadable(ValueError):
    """A stored secret that none of the current keys opens (SECRET_KEY changed without keeping the old one)."""


def _fernet_key(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_CONTEXT).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived)


@functools.cache
def _fernet(secret_keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key)) for key in secret_keys])


def _current_fernet() -> MultiFernet:
    # Read on each call, not at import, so a key rotation (and override_settings in tests) takes effect.
    return _fernet((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


def secret_encrypt(plain: str) -> str:
    return _current_fernet().encrypt(plain.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be read with the current SECRET_KEY or SECRET_KEY_FALLBACKS; put the key it was "
            "saved under back into SECRET_KEY_FALLBACKS, or enter the secret again."
        ) from exc


def secret_masked(plain: str) -> str:
    """Enough of a secret to recognise it ("••••••3f9a"), never enough to use it."""
    if not plain:
        return ""
    return "••••••" + plain[-4:] if len(plain) > 8 else "••••••"


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token: the database and its backups never hold the plain value."""

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value in (None, "") else secret_encrypt(value)
