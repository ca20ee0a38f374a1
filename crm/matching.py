"""When two records are one person: the keys leads are matched on and how their names compare."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def lead_keys_refresh(lead: Lead) -> None:
    """Recompute a lead's matching keys from its facts (before saving or bulk-creating it)."""
    lead.email_key = identity_email_key(lead.email)
    lead.linkedin_slug = identity_linkedin_slug(lead.linkedin_url)
    lead.name_key = person_key(lead.first_name, lead.last_name)
