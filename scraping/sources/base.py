"""What every capture source takes and gives: plain settings in, a table of records out. Sources never touch the
ORM (STYLE.md §2): the run turns their table into leads through the import's pipeline (scraping.capture)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceSettings:
    """A source as a client needs it: its kind, base URL (the setting's default already applied) and secrets."""

    kind: str
    base_url: str
    credentials: dict[str, str] = field(default_factory=dict)

    def secret(self, name: str) -> str:
        return self.credentials.get(name, "")


@dataclass
class Fetched:
    """What one fetch brought: a table (headers and rows of text cells), the lead field each header maps to when the
    source knows its shape (None: the import's suggestions decide), where the next incremental fetch starts, a
    summary of the raw answer to keep on the run, and notes for the person reading the run."""

    headers: list[str]
    rows: list[list[str]]
    mapping: dict[str, str] | None = None
    cursor: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # True when an empty result means something is wrong (a listing page whose layout changed), not "no news".
    empty_is_suspicious: bool = False


class SourceFailed(Exception):
    """The fetch failed; `retry` when trying again later may help (a timeout, a throttle, a 5xx). `pending` names
    what the next try should pick up instead of starting afresh (an agent's container, an actor's run still going),
    given back in its cursor as pending_<key>, so that a retry never launches (and pays for) a second run."""

    def __init__(self, message: str, *, retry: bool = True, pending: dict | None = None):
        super().__init__(message)
        self.retry = retry
        self.pending = pending or {}
