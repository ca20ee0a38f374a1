"""A/B results of a step: per variant, how many were sent, opened (by people), clicked and replied, and whether a
variant's reply (or, with no replies yet, open) rate differs from A's beyond chance (two-proportion z-test)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, Q

from outreach.models import SequenceStep

# Below this many sent per variant, or this many replies (opens) in all, no verdict is given.
MIN_SENT = 30
MIN_SUCCESSES = 5
SIGNIFICANT = 0.05


@dataclass
class VariantCounts:
    label: str
    sent: int
    opened: int
    clicked: int
    replied: int

    def rate(self, metric: str) -> float:
        return getattr(self, metric) / self.sent if self.sent else 0.0


def variant_counts(step: SequenceStep) -> list[VariantCounts]:
    """One query: each variant's counts, from its messages' times set by people (machine opens never set them)."""
    sent = Q(messages__sent_at__isnull=False)
    rows = step.variants.order_by("label").annotate(
        sent=Count("messages", filter=sent),
        opened=Count("messages", filter=sent & Q(messages__opened_at__isnull=False)),
        clicked=Count("messages", filter=sent & Q(messages__clicked_at__isnull=False)),
        replied=Count("messages", filter=sent & Q(messages__replied_at__isnull=False)),
    )
    return [VariantCounts(row.label, row.sent, row.opened, row.clicked, row.replied) for row in rows]


def two_proportion_p(successes_a: int, total_a: int, successes_b: int, total_b: int) -> float:
    """The two-sided p-value of the pooled two-proportion z-test (1.0 when it cannot tell anything)."""
    if not total_a or not total_b:
        return 1.0
    pooled = (successes_a + successes_b) / (total_a + total_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
    if spread == 0:
        return 1.0
    z = (successes_b / total_b - successes_a / total_a) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def verdict(base: VariantCounts, other: VariantCounts) -> str:
    """How `other` compares with `base`, in a sentence a person reads at a glance."""
    metric = "replied" if base.replied + other.replied else "opened"
    name = "reply" if metric == "replied" else "open"
    successes = getattr(base, metric) + getattr(other, metric)
    if min(base.sent, other.sent) < MIN_SENT or successes < MIN_SUCCESSES:
        return f"{other.label} vs {base.label}: not enough data yet"
    p = two_proportion_p(getattr(base, metric), base.sent, getattr(other, metric), other.sent)
    ours, theirs = other.rate(metric), base.rate(metric)
    judged = "likely better" if ours > theirs else "likely worse"
    if p >= SIGNIFICANT:
        judged = "no clear difference yet"
    shown = "p < 0.01" if p < 0.01 else f"p = {p:.2f}"
    return f"{other.label}'s {name} rate {ours:.0%} vs {base.label}'s {theirs:.0%}: {judged} ({shown})"


@dataclass
class StepAbResult:
    step: SequenceStep
    variants: list[VariantCounts]
    verdicts: list[str]


def step_ab_result(step: SequenceStep) -> StepAbResult | None:
    """The step's A/B result, or None when it has a single variant."""
    counts = variant_counts(step)
    if len(counts) < 2:
        return None
    return StepAbResult(step, counts, [verdict(counts[0], other) for other in counts[1:]])
