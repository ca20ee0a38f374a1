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
    # A paid source's module functions: whether it has a key, and the most one lead may cost.
    available_check: str = ""
    estimate: str = ""

    def find(self, facts: LeadFacts, wanted: frozenset[str]) -> list[Finding]:
        return self._provider().find(facts, wanted)

    def available(self) -> bool:
        """A free source always is; a paid one when it has a key."""
        if not self.available_check:
            return True
        check: Callable[[], bool] = getattr(self._provider(), self.available_check)
        return check()

    def credit_estimate(self, wanted: frozenset[str], *, has_email: bool) -> Decimal:
        """Credits one lead may cost at most (0 for free sources)."""
        if not self.estimate:
            return Decimal(0)
        return Decimal(getattr(self._provider(), self.estimate)(wanted, has_email))

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
            "hunter",
            "Hunter.io",
            "enrichment.providers.hunter",
            frozenset({EMAIL, PHONE, LINKEDIN, COMPANY}),
            paid=True,
            available_check="hunter_available",
            estimate="hunter_credit_estimate",
        ),
    )
}
