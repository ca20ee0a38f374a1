"""The facts a lead holds, listed once. Every other list of lead fields (what the lead page edits, what the
services accept, what the admin shows, what exports and admin imports carry, what a file import may fill in) and
their lengths and labels derive from this list and from the model."""

from __future__ import annotations

from functools import cache

from django.db.models import Field

from crm.models import Lead

# The person-facing facts, in the order pages and exports show them, grouped as the admin shows them.
LEAD_FACT_GROUPS: dict[str, tuple[str, ...]] = {
    "Person": (
        "first_name",
        "last_name",
        "title",
        "email",
        "other_emails",
        "phone",
        "other_phones",
        "linkedin_url",
        "website",
    ),
    "Where": ("company", "location", "time_zone"),
    "Standing": ("source", "lifecycle", "deal_value", "grade", "do_not_contact"),
}
LEAD_FACTS: tuple[str, ...] = tuple(name for group in LEAD_FACT_GROUPS.values() for name in group)

# Where the lead stands with us rather than who they are: set by people, never overwritten by a file import.
STANDING_FACTS = frozenset({"source", "lifecycle", "grade", "do_not_contact"})
# Every further address and number, as lists: exported and shown, not on the lead page's inline form; a file
# import adds to them rather than filling or overwriting them.
LIST_FACTS = frozenset({"other_emails", "other_phones"})
# Why we may process a lead's data and since when: shown on its page, by the API and in exports, written only by
# crm.services.consent (stamped, on the timeline), never as a plain fact.
LAWFUL_BASIS_FIELDS: tuple[str, ...] = (
    "lawful_basis",
    "lawful_basis_source",
    "lawful_basis_at",
    "consent_withdrawn_at",
)
# Lead fields that are no facts: where it is in the pipeline and whose, derived keys, bookkeeping.
NOT_FACTS = frozenset(
    {
        "id",
        "stage",
        "owner",
        "score",
        # Kept by scoring and its services (crm.rescoring, crm.services.scores), never typed or imported.
        "scored_at",
        "score_parts",
        "score_stale",
        "ai_fit",
        "ai_fit_reason",
        "email_verified",
        "phone_verified",
        *LAWFUL_BASIS_FIELDS,
        "tags",
        "custom_fields",
        "email_key",
        "linkedin_slug",
        "name_key",
        "import_job",
        "created_at",
        "updated_at",
    }
)


def lead_facts(*, exclude: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The facts in order, without those named in `exclude`."""
    return [name for name in LEAD_FACTS if name not in exclude]


def lead_facts_importable() -> list[str]:
    """The facts a file import may fill in or overwrite on a lead it matched, as the columns the importer writes
    ("company_id" for the company): no standing facts, no lists."""
    return [Lead._meta.get_field(name).attname for name in lead_facts(exclude=STANDING_FACTS | LIST_FACTS)]


def _field(name: str) -> Field:
    field = Lead._meta.get_field(name)
    # A related fact is typed as its target's name: a lead's company by the company's name.
    return field.related_model._meta.get_field("name") if field.is_relation else field


@cache
def lead_field_length(name: str) -> int | None:
    """The longest text a fact holds (for the company, the longest company name); None when unbounded."""
    return _field(name).max_length


def lead_field_lengths() -> dict[str, int]:
    """{fact: its longest text} for every fact held as bounded text."""
    return {name: length for name in LEAD_FACTS if (length := lead_field_length(name)) is not None}


def lead_field_label(name: str) -> str:
    """What people call a fact ("Job title", "LinkedIn URL"): the model's verbose name, first letter capitalised."""
    label = str(Lead._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]
