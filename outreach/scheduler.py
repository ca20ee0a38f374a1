"""The sending tick (every minute from the job cluster, or `manage.py run_sequences`): stale claims become
'uncertain', then batch after batch of due enrollments is claimed (claims.py), sent over one connection per mailbox
(delivery.py) or through Twilio (WhatsApp steps, channels/whatsapp.py) and recorded (outcomes.py), until nothing is
due or the tick has run for TICK_SECONDS.

Ticks may overlap (a slow one and the next minute's, or several clusters): the claims make that harmless, since
each batch is claimed in its own transaction (row locks skipped by the others on PostgreSQL, the write lock and a
version check on SQLite) and every message row is claimed before its send, so overlapping ticks share the work
rather than repeat it. No lease is needed; TICK_SECONDS only keeps one tick from holding a cluster worker for long.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from outreach.channels.linkedin import linkedin_step_hand_off
from outreach.channels.tasks import task_step_hand_off
from outreach.channels.whatsapp import whatsapp_step_deliver
from outreach.claims import Claimed, TickContext, batch_claim, stale_claims_mark_uncertain
from outreach.compose import email_build
from outreach.delivery import MailboxConnections
from outreach.models import Message, SequenceStep
from outreach.outcomes import enrollment_advance, message_reviewed, outcomes_record
from outreach.windows import team_zone

__all__ = ["TickReport", "enrollment_advance", "message_reviewed", "sequences_send_due", "tick"]

# A tick stops claiming after this long (the schedule runs every minute; the next tick carries on).
TICK_SECONDS = 50


@dataclass
class TickReport:
    """What one tick did, with the reasons behind what it skipped and deferred."""

    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    uncertain: int = 0
    retrying: int = 0
    handed_off: int = 0
    skipped_reasons: Counter = field(default_factory=Counter)
    deferred_reasons: Counter = field(default_factory=Counter)

    def claimed(self, claimed: Claimed) -> None:
        self.skipped_reasons.update(claimed.skipped)
        self.deferred_reasons.update(claimed.deferred)
        self.skipped, self.deferred = self.skipped_reasons.total(), self.deferred_reasons.total()

    def recorded(self, counts: Counter) -> None:
        for name in ("sent", "failed", "uncertain", "retrying", "handed_off"):
            setattr(self, name, getattr(self, name) + counts[name])

    def lines(self) -> list[str]:
        def why(reasons: Counter) -> str:
            return " (" + "; ".join(f"{reason}: {n}" for reason, n in reasons.most_common()) + ")" if reasons else ""

        return [
            f"sent: {self.sent}",
            f"skipped: {self.skipped}{why(self.skipped_reasons)}",
            f"deferred: {self.deferred}{why(self.deferred_reasons)}",
            f"to retry: {self.retrying}",
            f"failed: {self.failed}",
            f"uncertain (for review): {self.uncertain}",
            f"handed to people (tasks, LinkedIn): {self.handed_off}",
        ]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _hand_off(message: Message) -> None:
    if message.step.kind == SequenceStep.Kind.TASK:
        task_step_hand_off(message)
    else:
        linkedin_step_hand_off(message)


def tick(*, now: datetime | None = None, worker: str = "") -> TickReport:
    """Send what is due (see the module's docstring); `now` fixes the tick's clock (tests), else it is real time."""
    context = TickContext(worker=worker or worker_name(), team_zone=team_zone(), fixed_now=now)
    report = TickReport(uncertain=stale_claims_mark_uncertain(now=context.now()))
    started = time.monotonic()
    with MailboxConnections() as connections:
        while time.monotonic() - started < TICK_SECONDS:
            claimed = batch_claim(context)
            if not claimed.found:
                break
            report.claimed(claimed)
            delivered = [
                (message, connections.deliver(message.mailbox, email_build(message, message.lead)))
                for message in claimed.emails
            ]
            delivered += [(message, whatsapp_step_deliver(message)) for message in claimed.whatsapp]
            report.recorded(outcomes_record(context, delivered, []))
            for message in claimed.hand_offs:
                _hand_off(message)
            report.recorded(outcomes_record(context, [], claimed.hand_offs))
    return report


def sequences_send_due() -> str:
    """The job cluster's schedule: one tick, its report as text (kept as the task's result)."""
    return "; ".join(tick().lines())
