"""Guessing a person's work address: the local parts companies build from names (first.last, flast, ...), ranked
first by the patterns verified addresses already prove for that domain, then by how common each is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm.normalize import person_key
from enrichment.models import FieldSource

# Every pattern, most common first (the order used where a domain proves none). {f}/{l}: the first and last name;
# {fi}/{li}: their initials.
PATTERNS: dict[str, str] = {
    "first.last": "{f}.{l}",
    "first": "{f}",
    "flast": "{fi}{l}",
    "firstlast": "{f}{l}",
    "f.last": "{fi}.{l}",
    "first_last": "{f}_{l}",
    "firstl": "{f}{li}",
    "first.l": "{f}.{li}",
    "lastf": "{l}{fi}",
    "last.first": "{l}.{f}",
    "last": "{l}",
    "first-last": "{f}-{l}",
    "fl": "{fi}{li}",
    "lastfirst": "{l}{f}",
    "last_first": "{l}_{f}",
    "f_last": "{fi}_{l}",
    "last.f": "{l}.{fi}",
    "f-last": "{fi}-{l}",
}
# Patterns also tried with the other spellings of a compound name ("Mary Ann", "García-López", "van der Berg"),
# and how many of those spellings rank among the first guesses.
_VARIANT_PATTERNS = ("first.last", "flast")
_EARLY_VARIANTS = 3
# Verified addresses read to learn a domain's patterns: the newest ones are enough to see its convention.
_PROOF_ROWS = 200
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _needs(template: str) -> tuple[bool, bool]:
    return "{f" in template, "{l" in template


@dataclass(frozen=True)
class _NameForms:
    """The spellings of one part of a name usable in an address: the main one first."""

    forms: tuple[str, ...]

    @property
    def main(self) -> str:
        return self.forms[0] if self.forms else ""


def _name_forms(name: str, *, is_first: bool) -> _NameForms:
    """ASCII spellings of a name part: "José" -> jose; "Mary Ann" -> mary, maryann (middle names often sit in the
    first name); "García-López" -> garcialopez, garcia-lopez, garcia, lopez; "O'Brien" -> obrien."""
    words = [word for word in person_key(name or "", "").split() if _ASCII_WORD.fullmatch(word)]
    if not words:
        return _NameForms(())
    joined = "".join(words)
    forms = [words[0], joined] if is_first else [joined]
    if len(words) > 1 and not is_first:
        if "-" in name:
            forms.append("-".join(words))
        forms += [words[0], words[-1]]
    return _NameForms(tuple(dict.fromkeys(forms)))


def _local_part(template: str, first: str, last: str) -> str:
    return template.format(f=first, l=last, fi=first[:1], li=last[:1])


def _usable(pattern: str, has_first: bool, has_last: bool) -> bool:
    needs_first, needs_last = _needs(PATTERNS[pattern])
    return (has_first or not needs_first) and (has_last or not needs_last)


def domain_patterns(domain: str) -> list[str]:
    """The patterns this domain's verified addresses follow, most often seen first (FieldSource rows with
    status "valid", read against their lead's name)."""
    domain = domain.strip().lower()
    rows = (
        FieldSource.objects.filter(field="email", status="valid", value__iendswith=f"@{domain}")
        .order_by("-found_at")
        .values_list("value", "lead__first_name", "lead__last_name")[:_PROOF_ROWS]
    )
    counts: dict[str, int] = {}
    seen: set[str] = set()
    for value, first_name, last_name in rows:
        address = value.lower()
        if address in seen:
            continue
        seen.add(address)
        local = address.rpartition("@")[0]
        firsts = _name_forms(first_name, is_first=True).forms or ("",)
        lasts = _name_forms(last_name, is_first=False).forms or ("",)
        for pattern, template in PATTERNS.items():
            needs_first, needs_last = _needs(template)
            if (needs_first and not firsts[0]) or (needs_last and not lasts[0]):
                continue
            if any(_local_part(template, given, family) == local for given in firsts for family in lasts):
                counts[pattern] = counts.get(pattern, 0) + 1
    order = list(PATTERNS)
    return sorted(counts, key=lambda pattern: (-counts[pattern], order.index(pattern)))


def email_candidates(first_name: str, last_name: str, domain: str, *, proven: list[str] | None = None) -> list[str]:
    """Candidate addresses for a person at a domain, likeliest first: the domain's proven patterns, then the common
    order, then other spellings of compound names.

    A lead with only one name gets only the patterns that need just that name (john@, smith@); where the domain's
    verified addresses prove a convention needing both names, it gets none: guessing john@ at a first.last company
    would find some other John.
    """
    domain = domain.strip().lower()
    first, last = _name_forms(first_name, is_first=True), _name_forms(last_name, is_first=False)
    if not first.main and not last.main:
        return []
    proven = domain_patterns(domain) if proven is None else proven
    has_first, has_last = bool(first.main), bool(last.main)
    if proven and not any(_usable(pattern, has_first, has_last) for pattern in proven):
        return []
    ranked = [pattern for pattern in dict.fromkeys((*proven, *PATTERNS)) if _usable(pattern, has_first, has_last)]
    main = [_local_part(PATTERNS[pattern], first.main, last.main) for pattern in ranked]
    # Other spellings of a compound name, in the domain's best pattern (else the commonest two): the likeliest few
    # go right after the two best guesses, so a probe limited to a handful of addresses still tries them.
    variants = [
        _local_part(PATTERNS[pattern], given, family)
        for pattern in (proven[:1] or list(_VARIANT_PATTERNS[:2]))
        if _usable(pattern, has_first, has_last)
        for given in first.forms or ("",)
        for family in last.forms or ("",)
    ]
    variants = [local for local in dict.fromkeys(variants) if local not in main]
    locals_ = [*main[:2], *variants[:_EARLY_VARIANTS], *main[2:], *variants[_EARLY_VARIANTS:]]
    return [f"{local}@{domain}" for local in dict.fromkeys(locals_) if local and len(local) <= 64]
