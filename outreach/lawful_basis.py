"""Whether a sequence may write to a lead, by the lawful basis the sequence requires (Sequence.require_lawful_basis):
the one rule that enrolling and, again at send time, the claim of each message apply."""

from __future__ import annotations

from crm.models import Lead
from outreach.models import Sequence

Required = Sequence.RequiredBasis


def lawful_basis_missing(requirement: str, lead: Lead) -> str:
    """Why the lead lacks the basis the sequence requires ("no lawful basis recorded", "no consent recorded"), or ""
    when it has it or nothing is required."""
    if requirement == Required.ANY and not lead.lawful_basis:
        return "no lawful basis recorded"
    if requirement == Required.CONSENT and lead.lawful_basis != Lead.LawfulBasis.CONSENT:
        return "no consent recorded"
    return ""
