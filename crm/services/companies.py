"""Changing a company's facts (enrichment fills what is missing)."""

from __future__ import annotations

from django.db import transaction

from crm.models import Company
from crm.normalize import NormalizeError, phone_e164, text_fit, website_normalize
from crm.normalize.web import linkedin_company_canonical
from crm.services.stale import leads_mark_stale


def _names(value: str | list) -> list[str]:
    """Technologies as a list of names, from a list or from "React, Stripe"."""
    names = value.split(",") if isinstance(value, str) else value
    return list(dict.fromkeys(str(name).strip()[:60] for name in names if str(name).strip()))[:100]


# The facts a source may fill, each with its normaliser.
FILLABLE = {
    "technologies": _names,
    "website": website_normalize,
    "description": str.strip,
    "industry": str.strip,
    "size": str.strip,
    "location": str.strip,
    "phone": phone_e164,
    "linkedin_url": linkedin_company_canonical,
}


@transaction.atomic
def company_fill(*, company: Company, values: dict[str, str], overwrite: bool = False) -> dict[str, list[str]]:
    """Set the given facts where the company has none (all of them with `overwrite`), each normalised and cut to
    its column; a value that does not normalise is left out. Returns {field: [old, new]} for what changed."""
    locked = Company.objects.select_for_update().get(pk=company.pk)
    changed = {}
    for name, value in values.items():
        normalize = FILLABLE.get(name)
        if normalize is None or not value:
            continue
        try:
            clean = normalize(value)
            max_length = Company._meta.get_field(name).max_length
            if max_length:
                clean, _shortened = text_fit(clean, max_length)
        except NormalizeError:
            continue
        old = getattr(locked, name)
        if clean and clean != old and (overwrite or not old):
            changed[name] = [old, clean]
            setattr(locked, name, clean)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        # What a company is changes the fit of each of its people.
        leads_mark_stale(locked.leads.values_list("pk", flat=True))
        for name, (_old, new) in changed.items():
            setattr(company, name, new)
    return changed
