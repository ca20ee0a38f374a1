"""HubSpot contacts through the official SDK (hubspot-api-client), CRM v3: batch create, update and read, search
by email and by lastmodifieddate, and the contact properties. The SDK's host is HUBSPOT_BASE_URL; a private app
token is sent as a Bearer token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

import hubspot
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from crm.sync.base import AuthFailed, Credentials, RateLimited, RemoteRecord, SyncError, chunks
from crm.sync.retries import sdk_retry

# HubSpot's documented limits: 100 inputs per batch call, 100 results per search page, 100 values in an IN filter,
# and no search past 10,000 results (the pull then starts a new search from the last change it saw).
BATCH_SIZE = 100
SEARCH_PAGE = 100
SEARCH_WINDOW = 10_000
MODIFIED = "lastmodifieddate"


def _error(exc: ContactsApiException | PropertiesApiException) -> SyncError:
    """The SDK's exception as what the engine understands, with HubSpot's own message."""
    try:
        message = json.loads(exc.body or b"{}").get("message", "") or str(exc.reason)
    except (ValueError, AttributeError):
        message = str(exc.reason)
    headers = exc.headers or {}
    if exc.status in (401, 403):
        return AuthFailed(f"HubSpot refused the token ({exc.status}): {message}")
    if exc.status == 429:
        retry_after = headers.get("Retry-After")
        seconds = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
        return RateLimited(f"HubSpot is rate limiting: {message}", retry_after=seconds)
    return SyncError(f"HubSpot answered {exc.status}: {message}")


def _record(obj) -> RemoteRecord:
    properties = {key: "" if value is None else str(value) for key, value in (obj.properties or {}).items()}
    modified = obj.updated_at.astimezone(UTC) if obj.updated_at else None
    return RemoteRecord(remote_id=str(obj.id), modified_at=modified, fields=properties)


class HubSpotClient:
    name: ClassVar[str] = "HubSpot"
    create_only_fields: ClassVar[frozenset[str]] = frozenset()
    default_mapping: ClassVar[dict[str, str]] = {
        "email": "email",
        "first_name": "firstname",
        "last_name": "lastname",
        "phone": "phone",
        "title": "jobtitle",
        "company": "company",
        "website": "website",
        "linkedin_url": "hs_linkedin_url",
        # Custom contact properties (single-line text) a HubSpot admin creates; left out of a new connection's
        # mapping when the account does not have them.
        "owner": "leadflow_owner",
        "stage": "leadflow_stage",
        "score": "leadflow_score",
        "source": "leadflow_source",
    }

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._fields: set[str] | None = None

    def _api(self, creating: bool = False) -> hubspot.Client:
        return hubspot.Client.create(
            access_token=self.credentials.token,
            host=self.credentials.base_url.rstrip("/"),
            retry=sdk_retry(creating=creating),
        )

    def field_names(self) -> set[str]:
        if self._fields is None:
            try:
                answer = self._api().crm.properties.core_api.get_all(object_type="contacts")
            except PropertiesApiException as exc:
                raise _error(exc) from exc
            self._fields = {prop.name for prop in answer.results}
        return self._fields

    def _properties(self) -> list[str]:
        # A read names the properties it wants (HubSpot sends only a few by default): every one the account has.
        return sorted(self.field_names() | {"email", MODIFIED})

    def _search(self, body: dict) -> Iterator[object]:
        search = self._api().crm.contacts.search_api
        while True:
            try:
                page = search.do_search(public_object_search_request=body)
            except ContactsApiException as exc:
                raise _error(exc) from exc
            yield from page.results
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return
            body = {**body, "after": after}

    def find_by_emails(self, emails: list[str]) -> dict[str, RemoteRecord]:
        found: dict[str, RemoteRecord] = {}
        wanted = sorted({email.lower() for email in emails if email})
        for chunk in chunks(wanted, SEARCH_PAGE):
            body = {
                "filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "values": chunk}]}],
                "properties": self._properties(),
                "limit": SEARCH_PAGE,
            }
            for obj in self._search(body):
                record = _record(obj)
                found.setdefault(record.fields.get("email", "").lower(), record)
        return found

    def get(self, remote_ids: list[str]) -> dict[str, RemoteRecord]:
        found: dict[str, RemoteRecord] = {}
        batch = self._api().crm.contacts.batch_api
        for chunk in chunks(list(dict.fromkeys(remote_ids)), BATCH_SIZE):
            body = {"properties": self._properties(), "inputs": [{"id": remote_id} for remote_id in chunk]}
            try:
                # 207 Multi-Status when some are gone: those are named in its errors, the rest are in results.
                answer = batch.read(batch_read_input_simple_public_object_id=body, archived=False)
            except ContactsApiException as exc:
                if exc.status == 404:
                    continue  # none of them exists any more
                raise _error(exc) from exc
            for obj in answer.results:
                found[str(obj.id)] = _record(obj)
        return found

    def create(self, records: list[dict[str, str]]) -> list[str]:
        ids: list[str] = []
        batch = self._api(creating=True).crm.contacts.batch_api
        for chunk in chunks(records, BATCH_SIZE):
            body = {"inputs": [{"properties": fields, "associations": []} for fields in chunk]}
            try:
                answer = batch.create(batch_input_simple_public_object_batch_input_for_create=body)
            except ContactsApiException as exc:
                raise _error(exc) from exc
            # HubSpot does not promise the results in the order of the inputs: they are put back in order by email.
            by_email = {str((obj.properties or {}).get("email") or "").lower(): str(obj.id) for obj in answer.results}
            in_order = [str(obj.id) for obj in answer.results]
            for position, fields in enumerate(chunk):
                email = fields.get("email", "").lower()
                ids.append(by_email[email] if email and email in by_email else in_order[position])
        return ids

    def update(self, changes: list[tuple[str, dict[str, str]]]) -> set[str]:
        # A batch update naming a deleted contact fails whole: the ones still there are read first.
        existing = set(self.get([remote_id for remote_id, _ in changes]))
        gone = {remote_id for remote_id, _ in changes if remote_id not in existing}
        batch = self._api().crm.contacts.batch_api
        present = [(remote_id, fields) for remote_id, fields in changes if remote_id in existing]
        for chunk in chunks(present, BATCH_SIZE):
            body = {"inputs": [{"id": remote_id, "properties": fields} for remote_id, fields in chunk]}
            try:
                batch.update(batch_input_simple_public_object_batch_input=body)
            except ContactsApiException as exc:
                raise _error(exc) from exc
        return gone

    def changed_since(self, since: datetime | None) -> Iterator[RemoteRecord]:
        seen = 0
        while True:
            filters = (
                []
                if since is None
                else [{"propertyName": MODIFIED, "operator": "GT", "value": str(int(since.timestamp() * 1000))}]
            )
            body = {
                "filterGroups": [{"filters": filters}] if filters else [],
                "sorts": [{"propertyName": MODIFIED, "direction": "ASCENDING"}],
                "properties": self._properties(),
                "limit": SEARCH_PAGE,
            }
            seen = 0
            for obj in self._search(body):
                record = _record(obj)
                seen += 1
                yield record
                if record.modified_at is not None:
                    since = record.modified_at
                if seen >= SEARCH_WINDOW:
                    break  # HubSpot stops paging here: search again from the last change seen
            if seen < SEARCH_WINDOW:
                return
