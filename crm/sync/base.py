"""What the sync engine asks of each CRM's client, and the failures a client reports.

The engine (mapping, matching, conflicts, the change log) speaks only this interface; a client speaks one CRM's
wire format through its official SDK or leadflow.http, with its base URL from a `<CRM>_BASE_URL` setting.
Values cross this boundary already mapped: a dict of the CRM's own field names to text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


class SyncError(Exception):
    """The CRM refused or failed a call; the message is meant for the user reading the sync log."""


class RateLimited(SyncError):
    """The CRM still answered 429 (or its own throttling error) after the client's retries."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(SyncError):
    """The token or client credentials were refused (401/403): the connection needs the user, not a retry."""


@dataclass(frozen=True)
class Credentials:
    """What a connection stores (decrypted): a private app token or OAuth client credentials, and where."""

    base_url: str
    token: str = ""
    client_id: str = ""
    client_secret: str = ""
    # The CRM's own scope where it has one: GoHighLevel's location id, a Salesforce instance URL once known.
    account: str = ""


@dataclass
class RemoteRecord:
    """One person in the CRM: its id, when it last changed there, and its fields (CRM field name to text)."""

    remote_id: str
    modified_at: datetime | None
    fields: dict[str, str] = field(default_factory=dict)


def field_text(value: Any) -> str:
    """A CRM's JSON value as the text the engine compares: none is blank, a list is its items, a flag true/false."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def chunks(items: list, size: int) -> Iterator[list]:
    """`items` in lists of at most `size`, for a CRM's batch limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CrmClient(Protocol):
    name: ClassVar[str]
    # Leadflow field name to the CRM's field name: what a new connection maps (email, names, phone, title,
    # company, website, LinkedIn, owner, stage, score, source), editable per connection.
    default_mapping: ClassVar[dict[str, str]]
    # The CRM's fields it takes only when a record is made (GoHighLevel's companyName): the engine does not send a
    # later Leadflow change there, so the change is neither logged as pushed nor undone by the next pull.
    create_only_fields: ClassVar[frozenset[str]]

    def __init__(self, credentials: Credentials) -> None: ...

    def field_names(self) -> set[str]:
        """The person fields this CRM account has: a mapping naming any other field is refused at save."""

    def find_by_emails(self, emails: list[str]) -> dict[str, RemoteRecord]:
        """The records whose email is one of `emails` (lowercased), keyed by lowercased email."""

    def get(self, remote_ids: list[str]) -> dict[str, RemoteRecord]:
        """The records that still exist among `remote_ids`; one deleted on the CRM's side is simply absent."""

    def create(self, records: list[dict[str, str]]) -> list[str]:
        """Create the records (in batches where the CRM has batch endpoints); their new ids, in order."""

    def update(self, changes: list[tuple[str, dict[str, str]]]) -> set[str]:
        """Write each (remote id, fields); answer the ids that no longer exist there (deleted on the other side)."""

    def changed_since(self, since: datetime | None) -> Iterator[RemoteRecord]:
        """Every record modified after `since` (all of them when None), oldest change first, page by page."""
