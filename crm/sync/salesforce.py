"""Salesforce as a sync target, on simple-salesforce over the guarded leadflow.http session.

Connecting: an access token and its instance URL (Credentials.token and .account), or a connected app's OAuth 2.0
client credentials (POST {base}/services/oauth2/token, grant_type=client_credentials, which answers access_token and
instance_url; Salesforce serves this flow on the org's My Domain URL, so `base_url` is that). A session that expires
(401 INVALID_SESSION_ID) is renewed once with the client credentials; without them, or when renewal fails, the
connection needs its user (AuthFailed).

Calls (REST API, version SALESFORCE_API_VERSION, object SALESFORCE_SOBJECT, Lead by default): describe for the field
names; SOQL through /query with nextRecordsUrl paging for reads; sObject Collections (/composite/sobjects, POST to
create, PATCH to update, 200 records a call, allOrNone false) for writes, whose per-record SaveResults say which ids
were deleted on Salesforce's side (ENTITY_IS_DELETED, NOT_FOUND).

Throttling: Salesforce answers its API limits with 403 REQUEST_LIMIT_EXCEEDED and overload with 503 (429 is
handled the same way in case a proxy sends it). Those are retried with backoff for every call, since Salesforce did
not run the request; other 5xx answers are retried for reads and updates only, because a create that failed half-way
may have created records, and repeating it would create them twice. simple-salesforce builds https:// URLs only, so
a local stand-in must speak HTTPS: SALESFORCE_CA_BUNDLE names a CA to trust besides the system's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession
from simple_salesforce.format import format_soql

from crm.sync.base import AuthFailed, Credentials, RateLimited, RemoteRecord, SyncError, chunks, field_text
from crm.sync.retries import RETRIES, backoff_seconds, crm_session
from leadflow.http import BlockedAddress, ResponseTooLarge

logger = logging.getLogger(__name__)

T = TypeVar("T")

# sObject Collections take at most 200 records a call.
BATCH_SIZE = 200
# Emails (or ids) per SOQL IN list, at most; the query goes in a GET URL, which Salesforce caps at 16,384 characters,
# so a list also stops where the query (next to the names of every writable field) would pass SOQL_URL_BUDGET once
# URL-encoded.
IN_LIST_SIZE = 100
SOQL_URL_BUDGET = 12_000
# Per-record errors that mean the record is gone: deleted, merged away, or never there.
GONE_CODES = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND"})
THROTTLE_CODE = "REQUEST_LIMIT_EXCEEDED"
AUTH_CODES = frozenset({"INVALID_SESSION_ID", "INVALID_AUTH_HEADER"})
# Lead requires LastName and Company, Contact LastName: a record created without them gets this placeholder, the
# value Salesforce's own Web-to-Lead and Account Engagement write when a form left them out.
REQUIRED_ON_CREATE = {"Lead": ("LastName", "Company"), "Contact": ("LastName",)}
NOT_PROVIDED = "[not provided]"
# How many per-record failures a SyncError message quotes.
QUOTED_FAILURES = 3


class SalesforceClient:
    """One Salesforce org's leads (or SALESFORCE_SOBJECT records), read with SOQL and written in collections."""

    name: ClassVar[str] = "Salesforce"
    create_only_fields: ClassVar[frozenset[str]] = frozenset()
    # Standard Lead fields only. Lead has no standard LinkedIn or score field, and OwnerId takes a Salesforce user id,
    # so those are left for the user to map (a custom field such as LinkedIn__c), which field_names() checks. Status
    # and LeadSource are picklists: Leadflow's stage names rarely match an org's Status values, so stage stays off.
    default_mapping: ClassVar[dict[str, str]] = {
        "email": "Email",
        "first_name": "FirstName",
        "last_name": "LastName",
        "phone": "Phone",
        "title": "Title",
        "company": "Company",
        "website": "Website",
        "source": "LeadSource",
    }

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._sobject = settings.SALESFORCE_SOBJECT
        self._access_token = credentials.token
        self._instance_url = credentials.account
        self._session: requests.Session | None = None
        self._api: Salesforce | None = None
        self._writable: set[str] | None = None

    # The protocol.

    def field_names(self) -> set[str]:
        if self._writable is None:
            describe = self._call("describe", lambda api: api.restful(f"sobjects/{self._sobject}/describe"))
            self._writable = {
                field["name"]
                for field in (describe or {}).get("fields", [])
                if field.get("createable") or field.get("updateable")
            }
        return set(self._writable)

    def find_by_emails(self, emails: list[str]) -> dict[str, RemoteRecord]:
        wanted = sorted({email.strip().lower() for email in emails if email.strip()})
        found: dict[str, RemoteRecord] = {}
        for chunk in self._in_lists(wanted):
            for record in self._query(format_soql("Email IN {}", chunk)):
                email = record.fields.get("Email", "").lower()
                # Two records with one email: the one changed last is the one people work on.
                if email and (email not in found or _later(record, found[email])):
                    found[email] = record
        return found

    def get(self, remote_ids: list[str]) -> dict[str, RemoteRecord]:
        found: dict[str, RemoteRecord] = {}
        for chunk in self._in_lists(sorted(set(remote_ids))):
            for record in self._query(format_soql("Id IN {}", chunk)):
                found[record.remote_id] = record
        # SOQL answers 18-character ids; the caller may hold the 15-character form of the same record.
        by_short = {remote_id[:15]: record for remote_id, record in found.items()}
        return {remote_id: by_short[remote_id[:15]] for remote_id in remote_ids if remote_id[:15] in by_short}

    def create(self, records: list[dict[str, str]]) -> list[str]:
        created: list[str] = []
        failures: list[str] = []
        for batch in chunks(records, BATCH_SIZE):
            body = {"allOrNone": False, "records": [self._create_body(fields) for fields in batch]}
            results = self._collection("POST", body, idempotent=False)
            for fields, result in zip(batch, results, strict=True):
                if result.get("success"):
                    created.append(result["id"])
                else:
                    failures.append(f"{fields.get('Email') or 'a record'}: {_errors_text(result)}")
        if failures:
            raise SyncError(_failures_message("create", failures, len(records)))
        return created

    def update(self, changes: list[tuple[str, dict[str, str]]]) -> set[str]:
        gone: set[str] = set()
        failures: list[str] = []
        for batch in chunks(changes, BATCH_SIZE):
            body = {"allOrNone": False, "records": [self._update_body(remote_id, f) for remote_id, f in batch]}
            results = self._collection("PATCH", body, idempotent=True)
            for (remote_id, _), result in zip(batch, results, strict=True):
                codes = {error.get("statusCode") for error in result.get("errors") or []}
                if result.get("success"):
                    continue
                if codes & GONE_CODES:
                    gone.add(remote_id)
                else:
                    failures.append(f"{remote_id}: {_errors_text(result)}")
        if failures:
            raise SyncError(_failures_message("update", failures, len(changes)))
        return gone

    def changed_since(self, since: datetime | None) -> Iterator[RemoteRecord]:
        where = format_soql("LastModifiedDate > {}", since) if since is not None else ""
        yield from self._query(where, order_by="LastModifiedDate, Id")

    # Reading.

    def _columns(self) -> str:
        return ", ".join(["Id", "LastModifiedDate", *sorted(self.field_names() - {"Id", "LastModifiedDate"})])

    def _in_lists(self, values: list[str]) -> Iterator[list[str]]:
        """`values` cut into IN lists that keep each query's URL within SOQL_URL_BUDGET."""
        # A quoted value and its comma; an email's @ and punctuation take about three characters each once encoded.
        budget = max(SOQL_URL_BUDGET - 3 * len(self._columns()), 500)
        chunk: list[str] = []
        used = 0
        for value in values:
            size = 3 * (len(value) + 3)
            if chunk and (len(chunk) == IN_LIST_SIZE or used + size > budget):
                yield chunk
                chunk, used = [], 0
            chunk.append(value)
            used += size
        if chunk:
            yield chunk

    def _query(self, where: str, *, order_by: str = "") -> Iterator[RemoteRecord]:
        """The records a SOQL query over the writable fields answers, page after page (nextRecordsUrl)."""
        # SOQL, not SQL: the names come from describe and the settings, every value went through format_soql.
        soql = f"SELECT {self._columns()} FROM {self._sobject}"  # noqa: S608
        if where:
            soql += f" WHERE {where}"
        if order_by:
            soql += f" ORDER BY {order_by}"
        page = self._call("query", lambda api: api.query(soql))
        while True:
            for row in page.get("records", []):
                yield _remote_record(row, REQUIRED_ON_CREATE.get(self._sobject, ()))
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self._call(
                "query", lambda api, next_url=page["nextRecordsUrl"]: api.query_more(next_url, identifier_is_url=True)
            )

    # Writing.

    def _create_body(self, fields: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {"attributes": {"type": self._sobject}, **_values(fields)}
        for required in REQUIRED_ON_CREATE.get(self._sobject, ()):
            if not body.get(required):
                body[required] = NOT_PROVIDED
        return body

    def _update_body(self, remote_id: str, fields: dict[str, str]) -> dict[str, Any]:
        values = _values(fields)
        # Clearing a required field is refused for the whole record: an empty value there leaves Salesforce's alone.
        for required in REQUIRED_ON_CREATE.get(self._sobject, ()):
            if required in values and values[required] is None:
                del values[required]
        return {"attributes": {"type": self._sobject}, "id": remote_id, **values}

    def _collection(self, method: str, body: dict, *, idempotent: bool) -> list[dict]:
        results = self._call(
            "composite/sobjects",
            lambda api: api.restful("composite/sobjects", method=method, json=body),
            idempotent=idempotent,
        )
        if not isinstance(results, list) or len(results) != len(body["records"]):
            raise SyncError("Salesforce answered a record collection with an unexpected number of results.")
        return results

    # Connecting and calling.

    def _call(self, what: str, request: Callable[[Salesforce], T], *, idempotent: bool = True) -> T:
        """Run one API call, renewing an expired session once and backing off while Salesforce is throttling
        or (for calls safe to repeat) failing; every failure comes out as a SyncError."""
        renewed = False
        attempt = 0
        while True:
            try:
                return request(self._salesforce())
            except SalesforceExpiredSession as error:
                if renewed or not self._can_renew():
                    raise AuthFailed(f"Salesforce refused the session: {_error_text(error)}") from None
                renewed = True
                self._access_token, self._api = "", None
                continue
            except SalesforceError as error:
                throttled = _is_throttled(error)
                retryable = throttled or (idempotent and error.status >= 500)
                if error.status == 403 and not throttled:
                    raise AuthFailed(f"Salesforce refused the {what} call: {_error_text(error)}") from None
                if not retryable:
                    message = f"Salesforce refused the {what} call ({error.status}): {_error_text(error)}"
                    raise SyncError(message) from None
                if attempt >= RETRIES:
                    message = f"Salesforce is {'rate limiting' if throttled else 'failing'} ({error.status}): "
                    message += _error_text(error)
                    raise (RateLimited(message) if throttled else SyncError(message)) from None
            except (requests.RequestException, BlockedAddress, ResponseTooLarge) as error:
                raise SyncError(f"Salesforce could not be reached ({type(error).__name__}).") from None
            attempt += 1
            wait = backoff_seconds(attempt)
            logger.info("Salesforce %s call throttled or failing; trying again in %.1f s", what, wait)
            time.sleep(wait)

    def _can_renew(self) -> bool:
        return bool(self._client_id() and self._client_secret())

    def _client_id(self) -> str:
        return self._credentials.client_id or settings.SALESFORCE_CLIENT_ID

    def _client_secret(self) -> str:
        return self._credentials.client_secret or settings.SALESFORCE_CLIENT_SECRET

    def _salesforce(self) -> Salesforce:
        if self._api is None:
            if self._session is None:
                self._session = _salesforce_session()
            session = self._session
            # A token is usable only with the instance URL it was issued for: without one, client credentials (where
            # the connection has them) get both.
            if not self._access_token or (not self._instance_url and self._can_renew()):
                self._access_token, self._instance_url = self._client_credentials_token(session)
            if not self._instance_url:
                raise AuthFailed("The Salesforce connection has a token but no instance URL.")
            self._api = Salesforce(
                instance_url=self._instance_url,
                session_id=self._access_token,
                version=settings.SALESFORCE_API_VERSION,
                session=session,
            )
        return self._api

    def _client_credentials_token(self, session: requests.Session) -> tuple[str, str]:
        """A new access token and the org's instance URL from the OAuth 2.0 client credentials flow."""
        if not self._can_renew():
            raise AuthFailed("The Salesforce connection has neither an access token nor client credentials.")
        base_url = (self._credentials.base_url or settings.SALESFORCE_BASE_URL).rstrip("/")
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id(),
            "client_secret": self._client_secret(),
        }
        try:
            response = session.post(
                f"{base_url}/services/oauth2/token", data=form, headers={"Accept": "application/json"}
            )
        except (requests.RequestException, BlockedAddress, ResponseTooLarge) as error:
            raise SyncError(f"Salesforce could not be reached ({type(error).__name__}).") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code in (400, 401, 403):
            said = answer.get("error_description") or answer.get("error") or response.reason
            raise AuthFailed(f"Salesforce refused the client credentials: {said}")
        if response.status_code != 200 or not answer.get("access_token") or not answer.get("instance_url"):
            raise SyncError(f"Salesforce's token endpoint answered {response.status_code} without a token.")
        return answer["access_token"], answer["instance_url"]


def _salesforce_session() -> requests.Session:
    session = crm_session(rate_per_host=0)  # Salesforce limits calls a day and at once, not a second
    if settings.SALESFORCE_CA_BUNDLE:
        session.verify = settings.SALESFORCE_CA_BUNDLE
    return session


def _values(fields: dict[str, str]) -> dict[str, str | None]:
    # Salesforce reads an empty string in a number or date field as an error: null clears any field.
    return {name: (value if value != "" else None) for name, value in fields.items()}


def _remote_record(row: dict, required: tuple[str, ...] = ()) -> RemoteRecord:
    skipped = ("attributes", "Id", "LastModifiedDate")
    fields = {name: field_text(value) for name, value in row.items() if name not in skipped}
    # The placeholder a create put in a required field stands for no value: it reads back blank, so a sync does not
    # bring "[not provided]" into Leadflow as a company or a name.
    fields.update({name: "" for name in required if fields.get(name) == NOT_PROVIDED})
    modified = parse_datetime(row.get("LastModifiedDate") or "")
    return RemoteRecord(remote_id=row["Id"], modified_at=modified, fields=fields)


def _later(record: RemoteRecord, other: RemoteRecord) -> bool:
    if record.modified_at is None or other.modified_at is None:
        return other.modified_at is None and record.modified_at is not None
    return record.modified_at > other.modified_at


def _is_throttled(error: SalesforceError) -> bool:
    return error.status in (429, 503) or (error.status == 403 and THROTTLE_CODE in _error_codes(error))


def _error_codes(error: SalesforceError) -> set[str]:
    content = error.content
    if isinstance(content, list):
        return {str(item.get("errorCode")) for item in content if isinstance(item, dict)}
    return set()


def _error_text(error: SalesforceError) -> str:
    """Salesforce's own words: [{"message", "errorCode"}], or the start of whatever else it sent."""
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return "; ".join(f"{item.get('errorCode')}: {item.get('message')}" for item in content[:QUOTED_FAILURES])
    return str(content)[:200]


def _errors_text(result: dict) -> str:
    errors = result.get("errors") or []
    return "; ".join(f"{error.get('statusCode')}: {error.get('message')}" for error in errors) or "no reason given"


def _failures_message(action: str, failures: list[str], total: int) -> str:
    quoted = "; ".join(failures[:QUOTED_FAILURES])
    more = f" (and {len(failures) - QUOTED_FAILURES} more)" if len(failures) > QUOTED_FAILURES else ""
    return f"Salesforce refused to {action} {len(failures)} of {total} records: {quoted}{more}"
