"""The erased people's list: a keyed hash (HMAC-SHA256) of each email and phone, never the values. Every path that
brings people in (imports, capture runs, ad forms) and every send asks `people_suppressed`, the one check."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from crm.models import SuppressedPerson
from crm.normalize import NormalizeError, phone_e164

# Digests looked up per query (SQLite allows 32,766 parameters in one).
LOOKUP_CHUNK = 10_000
SUPPRESSED = "Suppressed: this person's data was erased at their request; not imported"


@dataclass
class Identity:
    """The addresses and numbers one record names (a row, a delivery, a lead)."""

    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)


def _keys() -> list[bytes]:
    """The hashing keys, current first: PRIVACY_HASH_KEY, else one derived from SECRET_KEY and each fallback (so
    rotating SECRET_KEY forgets nobody)."""
    if settings.PRIVACY_HASH_KEY:
        return [settings.PRIVACY_HASH_KEY.encode()]
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [hmac.new(secret.encode(), b"leadflow.privacy.suppression", hashlib.sha256).digest() for secret in secrets]


def email_key(value: str) -> str:
    return value.strip().lower() if value and "@" in value else ""


def phone_key(value: str) -> str:
    """A number in E.164; one that does not read as a phone keeps its digits, so it still compares."""
    if not value or not value.strip():
        return ""
    try:
        return phone_e164(value)
    except NormalizeError:
        digits = "".join(ch for ch in value if ch.isdigit())
        return f"+{digits}" if digits else ""


def _digests(kind: str, value: str, keys: Sequence[bytes]) -> list[str]:
    return [hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest() for key in keys]


def identity_digests(identity: Identity, keys: Sequence[bytes] | None = None) -> dict[str, str]:
    """{digest: kind} of every address and number of the identity, under each key (the current one first)."""
    keys = keys if keys is not None else _keys()
    found: dict[str, str] = {}
    for kind, values, normalise in (
        (SuppressedPerson.Kind.EMAIL, identity.emails, email_key),
        (SuppressedPerson.Kind.PHONE, identity.phones, phone_key),
    ):
        for value in filter(None, map(normalise, values)):
            found.update(dict.fromkeys(_digests(kind, value, keys), kind))
    return found


def person_digests(person) -> list[str]:
    """The current-key hashes of a person (crm.privacy.person.Person): how audit events name them."""
    return sorted(identity_digests(person.identity, _keys()[:1]))


def people_suppressed(identities: Sequence[Identity]) -> set[int]:
    """The positions of the identities any of whose addresses or numbers belong to an erased person. The one check
    of imports, capture runs, ad forms and sends; one query per LOOKUP_CHUNK digests."""
    if not SuppressedPerson.objects.exists():
        # Nobody erased yet, as on most installations: hashing every row's numbers cost an import a fifth of its time.
        return set()
    keys = _keys()
    by_digest: dict[str, set[int]] = {}
    for position, identity in enumerate(identities):
        for digest in identity_digests(identity, keys):
            by_digest.setdefault(digest, set()).add(position)
    digests = sorted(by_digest)
    suppressed: set[int] = set()
    for start in range(0, len(digests), LOOKUP_CHUNK):
        chunk = digests[start : start + LOOKUP_CHUNK]
        for digest in SuppressedPerson.objects.filter(digest__in=chunk).values_list("digest", flat=True):
            suppressed |= by_digest[digest]
    return suppressed


def person_suppressed(*, emails: Iterable[str] = (), phones: Iterable[str] = ()) -> bool:
    return bool(people_suppressed([Identity(list(emails), list(phones))]))


def person_suppress(identity: Identity) -> list[str]:
    """Add the identity's hashes (current key only) to the list; returns the digests, as the audit event names them."""
    digests = identity_digests(identity, _keys()[:1])
    SuppressedPerson.objects.bulk_create(
        [SuppressedPerson(digest=digest, kind=kind) for digest, kind in digests.items()], ignore_conflicts=True
    )
    return sorted(digests)
