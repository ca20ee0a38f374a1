"""GoHighLevel (HighLevel, LeadConnector) as a sync target, through its API v2 on leadflow.http.

Every call carries `Authorization: Bearer <private integration token or OAuth access token>` of a sub-account,
`Version: 2021-07-28` and `Accept: application/json`; the sub-account's location id is Credentials.account. Calls
(https://marketplace.gohighlevel.com/docs/ghl/contacts/contacts-api): GET /locations/{id}/customFields?model=contact
for the custom fields; POST /contacts/search (filters, sort, pageLimit, searchAfter cursor) to find by email and to
list changes by dateUpdated; GET /contacts/{id}; POST /contacts/ to create (one contact a call); PUT /contacts/{id}
to update. A contact deleted in GoHighLevel answers 400 or 404 "Contact not found", and is reported as gone.

Field names are the contact's own keys (firstName, companyName, ...) and, for custom fields, their fieldKey
("contact.linkedin"), translated to and from the custom field ids the API writes. The documented Update Contact body
has no companyName: a company is written when the contact is created, and left out of updates.

Rate limits (burst: 100 requests in 10 s per sub-account; daily: 200,000): a 429 is retried after Retry-After, or
after X-RateLimit-Interval-Milliseconds when X-RateLimit-Remaining is 0, or with doubling waits; a daily limit that
is spent (X-RateLimit-Daily-Remaining: 0) is not retried. 5xx answers are retried for reads and updates, not for a
create, which may have half-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

from crm.sync.base import AuthFailed, Credentials, RemoteRecord, SyncError, field_text
from crm.sync.retries import crm_session, request_with_retries, retry_after
from leadflow.params import count_or

# The contact's own text fields that Create Contact takes (the documented CreateContactDto, less the structured ones:
# dnd settings, tags, custom fields, gender).
STANDARD_FIELDS = frozenset(
    {
        "firstName",
        "lastName",
        "name",
        "email",
        "phone",
        "address1",
        "city",
        "state",
        "postalCode",
        "country",
        "website",
        "timezone",
        "companyName",
        "source",
        "assignedTo",
        "dateOfBirth",
    }
)
# Update Contact's documented body lacks these: they are written at create only.
CREATE_ONLY_FIELDS = frozenset({"companyName"})
# Fields the API takes as a string but not as null: an empty value is sent as "".
NOT_NULLABLE = frozenset({"postalCode"})
# The most contacts one search answers (the documented maximum is 500).
PAGE_LIMIT = 100
# Emails per search: one OR group of equality filters.
EMAILS_PER_SEARCH = 20
DUPLICATE_MESSAGE = "does not allow duplicated contacts"


class GoHighLevelClient:
    """One GoHighLevel sub-account's contacts."""

    name: ClassVar[str] = "GoHighLevel"
    create_only_fields: ClassVar[frozenset[str]] = CREATE_ONLY_FIELDS
    # GoHighLevel contacts have no job title, LinkedIn or score field of their own (a sub-account adds custom fields
    # for them, mapped by fieldKey), and assignedTo takes a GoHighLevel user id, so those stay for the user to map.
    default_mapping: ClassVar[dict[str, str]] = {
        "email": "email",
        "first_name": "firstName",
        "last_name": "lastName",
        "phone": "phone",
        "company": "companyName",
        "website": "website",
        "source": "source",
    }

    def __init__(self, credentials: Credentials) -> None:
        self._base_url = (credentials.base_url or settings.GOHIGHLEVEL_BASE_URL).rstrip("/")
        self._token = credentials.token or settings.GOHIGHLEVEL_TOKEN
        self._location_id = credentials.account or settings.GOHIGHLEVEL_LOCATION_ID
        self._session: requests.Session | None = None
        # fieldKey to custom field id, and back.
        self._custom_ids: dict[str, str] | None = None
        self._custom_keys: dict[str, str] = {}

    # The protocol.

    def field_names(self) -> set[str]:
        return set(STANDARD_FIELDS) | set(self._custom_fields())

    def find_by_emails(self, emails: list[str]) -> dict[str, RemoteRecord]:
        wanted = sorted({email.strip().lower() for email in emails if email.strip()})
        found: dict[str, RemoteRecord] = {}
        for start in range(0, len(wanted), EMAILS_PER_SEARCH):
            chunk = wanted[start : start + EMAILS_PER_SEARCH]
            either = [{"field": "email", "operator": "eq", "value": email} for email in chunk]
            sort = [{"field": "dateUpdated", "direction": "asc"}]
            # Sorted oldest change first, so of two contacts with one email the one changed last stays.
            for record in self._search(filters=[{"group": "OR", "filters": either}], sort=sort):
                email = record.fields.get("email", "").lower()
                if email in chunk:
                    found[email] = record
        return found

    def get(self, remote_ids: list[str]) -> dict[str, RemoteRecord]:
        found: dict[str, RemoteRecord] = {}
        for remote_id in dict.fromkeys(filter(None, remote_ids)):
            response = self._call("GET", _contact_path(remote_id), what="get a contact")
            if _not_found(response):
                continue
            contact = _json(response).get("contact") or {}
            found[remote_id] = self._record({**contact, "id": contact.get("id") or remote_id})
        return found

    def create(self, records: list[dict[str, str]]) -> list[str]:
        created = []
        for fields in records:
            body = {**self._body(fields), "locationId": self._location()}
            response = self._call("POST", "/contacts/", json=body, what="create a contact", idempotent=False)
            duplicate = _duplicate_of(response)
            if duplicate:
                # The sub-account keeps one contact per email or phone, and has one already: that is this record.
                created.append(duplicate)
                continue
            self._raise_for(response, "create a contact")
            contact_id = (_json(response).get("contact") or {}).get("id")
            if not contact_id:
                raise SyncError("GoHighLevel created a contact but did not say its id.")
            created.append(contact_id)
        return created

    def update(self, changes: list[tuple[str, dict[str, str]]]) -> set[str]:
        gone = set()
        for remote_id, fields in changes:
            body = {name: value for name, value in self._body(fields).items() if name not in CREATE_ONLY_FIELDS}
            response = self._call("PUT", _contact_path(remote_id), json=body, what="update a contact")
            if _not_found(response):
                gone.add(remote_id)
        return gone

    def changed_since(self, since: datetime | None) -> Iterator[RemoteRecord]:
        filters = []
        if since is not None:
            moment = since.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            filters.append({"field": "dateUpdated", "operator": "range", "value": {"gt": moment}})
        yield from self._search(filters=filters, sort=[{"field": "dateUpdated", "direction": "asc"}])

    # Reading.

    def _search(self, *, filters: list[dict], sort: list[dict]) -> Iterator[RemoteRecord]:
        """Every contact a search answers, page after page: with the searchAfter cursor the last contact carries
        (the documented way past 10,000 contacts), else by page number."""
        body: dict[str, Any] = {"locationId": self._location(), "page": 1, "pageLimit": PAGE_LIMIT}
        body.update(filters=filters, sort=sort)
        while True:
            response = self._call("POST", "/contacts/search", json=body, what="search contacts")
            self._raise_for(response, "search contacts")
            contacts = _json(response).get("contacts") or []
            for contact in contacts:
                yield self._record(contact)
            if len(contacts) < PAGE_LIMIT:
                return
            # The cursor is named searchAfter in contacts, sort in other HighLevel searches.
            cursor = contacts[-1].get("searchAfter") or contacts[-1].get("sort")
            if cursor:
                body = {key: value for key, value in body.items() if key != "page"} | {"searchAfter": cursor}
            else:
                body = {**body, "page": body.get("page", 1) + 1}

    def _record(self, contact: dict) -> RemoteRecord:
        fields = {name: field_text(contact.get(name)) for name in STANDARD_FIELDS}
        self._custom_fields()  # custom values come by id; the mapping names them by fieldKey
        for custom in contact.get("customFields") or []:
            key = self._custom_keys.get(custom.get("id", ""))
            if key:
                fields[key] = field_text(custom.get("value", custom.get("field_value")))
        return RemoteRecord(
            remote_id=contact["id"], modified_at=parse_datetime(contact.get("dateUpdated") or ""), fields=fields
        )

    def _custom_fields(self) -> dict[str, str]:
        """The sub-account's contact custom fields, fieldKey to id (asked once per client)."""
        if self._custom_ids is None:
            path = f"/locations/{self._location()}/customFields"
            response = self._call("GET", path, params={"model": "contact"}, what="list custom fields")
            self._raise_for(response, "list custom fields")
            listed = _json(response).get("customFields") or []
            self._custom_ids = {item["fieldKey"]: item["id"] for item in listed if item.get("fieldKey")}
            self._custom_keys = {field_id: key for key, field_id in self._custom_ids.items()}
        return self._custom_ids

    # Writing.

    def _body(self, fields: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        custom = []
        custom_ids = self._custom_fields() if any(name not in STANDARD_FIELDS for name in fields) else {}
        for name, value in fields.items():
            if name in STANDARD_FIELDS:
                body[name] = value if value or name in NOT_NULLABLE else None
            elif name in custom_ids:
                custom.append({"id": custom_ids[name], "field_value": value})
            else:
                raise SyncError(f"GoHighLevel contacts have no field named {name!r}.")
        if custom:
            body["customFields"] = custom
        return body

    # Calling.

    def _location(self) -> str:
        if not self._location_id:
            raise AuthFailed("The GoHighLevel connection names no location (sub-account) id.")
        return self._location_id

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True, **kwargs: Any) -> requests.Response:
        """One API call, tried again while GoHighLevel throttles (any call) or fails (calls safe to repeat); the
        answer is returned for the caller to read, except refused credentials and a limit that holds."""
        if not self._token:
            raise AuthFailed("The GoHighLevel connection has no access token.")
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Version": settings.GOHIGHLEVEL_API_VERSION,
            "Accept": "application/json",
        }
        response = request_with_retries(
            self._http(),
            method,
            f"{self._base_url}{path}",
            crm="GoHighLevel",
            what=what,
            idempotent=idempotent,
            wait_said=_rate_limit_wait,
            limit_spent=_daily_limit_spent,
            headers=headers,
            **kwargs,
        )
        if response.status_code in (401, 403):
            raise AuthFailed(f"GoHighLevel refused the token ({response.status_code}): {_message(response)}")
        return response

    def _raise_for(self, response: requests.Response, what: str) -> None:
        if response.status_code >= 300:
            raise SyncError(f"GoHighLevel refused to {what} ({response.status_code}): {_message(response)}")

    def _http(self) -> requests.Session:
        if self._session is None:
            self._session = crm_session(rate_per_host=settings.GOHIGHLEVEL_RATE_PER_SECOND)
        return self._session


def _contact_path(remote_id: str) -> str:
    # An id is one path segment, whatever it holds.
    return f"/contacts/{quote(remote_id, safe='')}"


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds GoHighLevel asked for: Retry-After, or the rest of the burst window when none is left."""
    said = retry_after(response)
    if said is not None:
        return said
    interval = count_or(response.headers.get("X-RateLimit-Interval-Milliseconds"), -1)
    if response.headers.get("X-RateLimit-Remaining") == "0" and interval >= 0:
        return interval / 1000
    return None


def _daily_limit_spent(response: requests.Response) -> str:
    """A 429 with the day's requests spent: no wait within the run ends it."""
    if response.headers.get("X-RateLimit-Daily-Remaining") == "0":
        return f"its daily API limit is spent ({_message(response)})"
    return ""


def _duplicate_of(response: requests.Response) -> str | None:
    """The existing contact's id when a create was refused as a duplicate (400, meta.contactId)."""
    if response.status_code != 400 or DUPLICATE_MESSAGE not in _message(response):
        return None
    return (_json(response).get("meta") or {}).get("contactId") or None


def _json(response: requests.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        raise SyncError(f"GoHighLevel sent an answer that could not be read ({response.status_code}).") from None
    return answer if isinstance(answer, dict) else {}


def _message(response: requests.Response) -> str:
    """GoHighLevel's own words: {"statusCode", "message": text or a list of texts}."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return response.reason or ""
    if isinstance(message, list):
        return "; ".join(str(item) for item in message)
    return str(message or response.reason or "")


def _not_found(response: requests.Response) -> bool:
    if response.status_code == 404:
        return True
    if response.status_code == 400 and "not found" in _message(response).lower():
        return True
    if response.status_code >= 300:
        raise SyncError(f"GoHighLevel refused the call ({response.status_code}): {_message(response)}")
    return False
