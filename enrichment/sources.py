"""The enrichment sources the waterfall may ask, by name: what each finds, whether it costs credits, and whether it
can be asked at all on this site (a paid one needs a key)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from enrichment.providers.base import COMPANY, EMAIL, LINKEDIN, PHONE, Finding, LeadFacts


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    module: str
    fields: frozenset[str]
    paid: bool = False

    def find(self, facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
        return self._provider().find(facts, wanted)

    def available(self) -> bool:
        """A free source always is; a paid one when it has a key (its module's `available()`)."""
        check: Callable[[], bool] | None = getattr(self._provider(), "available", None)
        return check() if check is not None else True

    def credit_estimate(self, wanted: frozenset[str], *, has_email: bool) -> Decimal:
        """Credits one lead may cost at most (0 for free sources)."""
        estimate = getattr(self._provider(), "credit_estimate", None)
        return Decimal(estimate(wanted, has_email=has_email)) if self.paid and estimate else Decimal(0)

    def _provider(self):
        # Imported when first asked, so that a page listing sources loads no HTML parser or DNS resolver.
        return importlib.import_module(self.module)


SOURCES = {
    source.name: source
    for source in (
        Source("phone", "Phone facts (built-in)", "enrichment.providers.phone", frozenset({PHONE})),
        Source(
            "website",
            "Company website (built-in)",
            "enrichment.providers.website",
            frozenset({COMPANY, EMAIL, PHONE, LINKEDIN}),
        ),
        Source("finder", "Email finder (built-in)", "enrichment.providers.finder", frozenset({EMAIL})),
        Source(
            "hunter", "Hunter.io", "enrichment.providers.hunter", frozenset({EMAIL, PHONE, LINKEDIN, COMPANY}), True
        ),
    )
}
