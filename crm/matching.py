"""When two records are one person: the keys leads are matched on and how their names compare."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from nicknames import NickNamer
from rapidfuzz import fuzz

from crm.normalize import NormalizeError, email_canonical, linkedin_slug, person_key

if TYPE_CHECKING:
    from crm.models import Lead

# Shared mailboxes: several people write from info@acme.com, so it never identifies one person.
ROLE_MAILBOXES = frozenset(
    {
        "accounts", "admin", "billing", "careers", "contact", "enquiries", "hello", "help", "hr", "info",
        "inquiries", "jobs", "mail", "marketing", "no-reply", "noreply", "office", "press", "sales", "support",
        "team", "webmaster",
    }
)  # fmt: skip
# rapidfuzz token_sort_ratio between person keys: at or above this, same company means same person.
NAME_MATCH = 88
# Below this, two names are different people even when they share a phone (a switchboard, a family line).
NAME_CONFLICT = 60


def identity_email_key(email: str) -> str:
    """The canonical address to match on, or "" for a shared mailbox such as info@ or sales@."""
    if not email or "@" not in email:
        return ""
    try:
        key = email_canonical(email)
    except NormalizeError:
        return ""  # old data that was never normalised identifies nobody
    return "" if key.split("@", 1)[0] in ROLE_MAILBOXES else key


def identity_linkedin_slug(url: str) -> str:
    if not url:
        return ""
    try:
        return linkedin_slug(url)
    except NormalizeError:
        return ""


def names_similarity(first_key: str, second_key: str) -> int:
    """0-100: how alike two person keys are, word order ignored; 0 when either is unknown."""
    if not first_key or not second_key:
        return 0
    return round(fuzz.token_sort_ratio(first_key, second_key))


def names_conflict(first_key: str, second_key: str) -> bool:
    """Both names are known and clearly belong to different people."""
    return bool(first_key and second_key) and names_similarity(first_key, second_key) < NAME_CONFLICT


# rapidfuzz ratio between two folded first names: at or above this they are spellings of one name (Jon/John,
# Katherine/Catherine); below it, and not a nickname or an initial of the other, they are two people.
FIRST_NAME_VARIANT = 75


@functools.cache
def _nicknames() -> NickNamer:
    return NickNamer()


@functools.lru_cache(maxsize=65536)
def first_names_conflict(first: str, second: str) -> bool:
    """Both first names are known and belong to different people: not the same name, an initial of the other,
    a spelling of it, the start of it (Chris/Christopher) or a nickname of it (Bob/Robert)."""
    first, second = person_key(first, ""), person_key(second, "")
    if not first or not second or first == second:
        return False
    short, long = sorted((first, second), key=len)
    if long.startswith(short) or fuzz.ratio(first, second) >= FIRST_NAME_VARIANT:
        return False
    first_word, second_word = first.split()[0], second.split()[0]
    nicknames = _nicknames()
    variants = {first_word} | nicknames.nicknames_of(first_word) | nicknames.canonicals_of(first_word)
    return second_word not in variants and not (variants & nicknames.canonicals_of(second_word))


def identities_conflict(*, first_names: tuple[str, str], linkedin_slugs: tuple[str, str]) -> str:
    """Why two records that share an email are two people all the same, or "" when nothing says so: two different
    LinkedIn profiles, or first names that are not variants of each other."""
    if all(linkedin_slugs) and linkedin_slugs[0] != linkedin_slugs[1]:
        return "different LinkedIn profiles"
    if first_names_conflict(*first_names):
        return "different first names"
    return ""


def lead_keys_refresh(lead: Lead) -> None:
    """Recompute a lead's matching keys from its facts (before saving or bulk-creating it)."""
    lead.email_key = identity_email_key(lead.email)
    lead.linkedin_slug = identity_linkedin_slug(lead.linkedin_url)
    lead.name_key = person_key(lead.first_name, lead.last_name)
