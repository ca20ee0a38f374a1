"""The day's send counts that hold the caps (per mailbox, per sequence, per recipient domain) across workers.

A claim reads the counts it needs under a row lock (PostgreSQL: SELECT ... FOR UPDATE, in id order so two workers
never deadlock; SQLite: the claim's transaction already holds the database's write lock, as every transaction here
begins IMMEDIATE), takes what its batch may send from what is left, and raises the counts in the same transaction
with UPDATEs conditional on staying within the caps: a second worker reads them only after the first committed, so
together they never pass a cap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Q

from outreach.models import SendCount

Scope = SendCount.Scope

# What a deferral says when a cap is reached, by the cap's scope.
CAP_NAMES = {Scope.MAILBOX: "mailbox daily cap", Scope.SEQUENCE: "sequence daily cap", Scope.DOMAIN: "domain daily cap"}


@dataclass(frozen=True)
class CapKey:
    scope: str
    key: str
    day: date


@dataclass
class SendAllowance:
    """What one batch may still send under each cap, taken message by message in the batch's order."""

    limits: dict[CapKey, int]
    left: dict[CapKey, int]
    rows: dict[CapKey, SendCount]
    taken: dict[CapKey, int] = field(default_factory=dict)

    def take(self, keys: list[CapKey]) -> CapKey | None:
        """Count one message against every cap in `keys`; None when it fits them all, else the first cap reached
        (and nothing is counted)."""
        for cap in keys:
            if self.left[cap] <= 0:
                return cap
        for cap in keys:
            self.left[cap] -= 1
            self.taken[cap] = self.taken.get(cap, 0) + 1
        return None

    def save(self) -> None:
        """Raise the counts (inside the claim's transaction) by UPDATEs conditional on each staying within its cap,
        one per distinct (number taken, cap); CapsMoved if a count moved since it was read (the claim then starts
        again), which the lock makes impossible but the condition makes harmless."""
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for cap, count in self.taken.items():
            groups[count, self.limits[cap]].append(self.rows[cap].pk)
        for (count, limit), pks in groups.items():
            raised = SendCount.objects.filter(pk__in=pks, sent__lte=limit - count).update(sent=F("sent") + count)
            if raised != len(pks):
                raise CapsMoved


class CapsMoved(Exception):
    """A count changed between its locked read and its raise."""


def allowance_lock(caps: dict[CapKey, int]) -> SendAllowance:
    """Lock the counts behind `caps` ({cap: its limit}), creating the day's missing rows, for the claim in progress."""
    if not caps:
        return SendAllowance(limits={}, left={}, rows={})
    SendCount.objects.bulk_create(
        [SendCount(scope=cap.scope, key=cap.key, day=cap.day) for cap in caps], ignore_conflicts=True
    )
    wanted = Q()
    for cap in caps:
        wanted |= Q(scope=cap.scope, key=cap.key, day=cap.day)
    rows = {
        CapKey(row.scope, row.key, row.day): row
        for row in SendCount.objects.select_for_update().filter(wanted).order_by("pk")
    }
    left = {cap: max(limit - rows[cap].sent, 0) for cap, limit in caps.items()}
    return SendAllowance(limits=caps, left=left, rows=rows)
