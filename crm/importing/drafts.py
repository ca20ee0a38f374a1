"""What reading one row gives: a LeadDraft, with the problems found in its cells."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class CellProblem:
    column: str
    reason: str


@dataclass
class LeadDraft:
    """What the import will store for one row, before it is matched against the database.

    `fields` holds lead fields by name, "other_emails" and "other_phones" among them (lists of further normalised
    addresses and numbers, present only when the row has some)."""

    line: int
    values: list[str]
    fields: dict[str, object] = field(default_factory=dict)
    company_name: str = ""
    company_domain: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    # A Lead.LawfulBasis from a column mapped to it (""; none), recorded by crm.services.consent, not as a fact.
    lawful_basis: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)
    rejected: str = ""
    # The keys it is matched on, worked out with the rest of the row (_finish), away from the writer.
    email_key: str = ""
    linkedin_slug: str = ""
    name_key: str = ""
    company_key: str = ""

    @property
    def phone(self) -> str:
        return str(self.fields.get("phone", ""))

    def __reduce__(self) -> tuple[type[LeadDraft], tuple]:
        # Drafts cross from the normalising process to the writing one (crm.importing.drafting) by pickle. As the
        # class and its values, a batch unpickles in less than half the time of the default, attribute by name.
        return LeadDraft, tuple(getattr(self, name) for name in _DRAFT_FIELDS)


_DRAFT_FIELDS = tuple(f.name for f in fields(LeadDraft))


def keep_invalid(draft: LeadDraft, header: str, value: str, reason: str) -> None:
    """Report a cell the lead cannot hold, and keep its text among the custom fields so nothing is lost."""
    draft.problems.append(CellProblem(header, reason))
    key = f"{header} (invalid)"
    kept = draft.custom.get(key)
    draft.custom[key] = f"{kept}; {value}" if kept and kept != value else value
