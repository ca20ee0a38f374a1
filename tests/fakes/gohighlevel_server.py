"""A local stand-in for GoHighLevel's API v2 contacts (https://marketplace.gohighlevel.com/docs/ghl/contacts/
contacts-api, and the OpenAPI files in github.com/GoHighLevel/highlevel-api-docs): an HTTP server on localhost
holding one sub-account's contacts and custom fields in memory.

It answers, in the documented shapes:
- GET /locations/{locationId}/customFields?model=contact: {"customFields": [{"id", "name", "fieldKey", "dataType",
  ...}]};
- POST /contacts/search: {locationId, pageLimit (at most 500), filters (email eq, in OR groups; dateUpdated range),
  sort, searchAfter} -> {"contacts": [... each with its "searchAfter" cursor], "total"};
- GET /contacts/{id}: {"contact": {...}}; POST /contacts/: 201 {"contact": {...}}; PUT /contacts/{id}:
  {"succeded": true, "contact": {...}}. Bodies are checked against the documented CreateContactDto and
  UpdateContactDto as the API's validation does (422 {"statusCode", "message": ["property x should not exist"],
  "error"}). A contact that does not exist is 400 {"statusCode": 400, "message": "Contact not found"}; a second
  contact with a known email is 400 "This location does not allow duplicated contacts." with meta.contactId, as
  in a sub-account that does not allow duplicates.
A token other than TOKEN is 401 "Invalid token: access token is invalid"; another location 403. `throttle()` makes
calls answer 429 with the X-RateLimit-* headers, `fail()` a 5xx; `delete()` and `edit()` change contacts in
GoHighLevel itself. Every request is kept in `received`.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import string
import threading
from dataclasses import dataclass

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "pit-7f3c2a91-5be4-4d2e-9a61-0c8e4b7d2f15"
LOCATION_ID = "ve9EPM428h8vShlRW1KT"
CLOCK_START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
DAILY_LIMIT = 200_000
BURST_MAX = 100
BURST_INTERVAL_MS = 10_000
# The custom fields this sub-account added to its contacts.
CUSTOM_FIELDS = [
    {"id": "3sv6UEo51C9Bmpo1cKTq", "name": "LinkedIn", "fieldKey": "contact.linkedin", "dataType": "TEXT"},
    {"id": "Hk2pQ7xZr9LmN4bV8cWd", "name": "Job Title", "fieldKey": "contact.job_title", "dataType": "TEXT"},
]
CREATE_FIELDS = {
    "firstName", "lastName", "name", "email", "locationId", "gender", "phone", "address1", "city", "state",
    "postalCode", "website", "timezone", "dnd", "dndSettings", "inboundDndSettings", "tags", "customFields", "source",
    "dateOfBirth", "country", "companyName", "assignedTo",
}  # fmt: skip
UPDATE_FIELDS = CREATE_FIELDS - {"locationId", "gender", "companyName"}
ID_ALPHABET = string.digits + string.ascii_letters


def ghl_id(number: int) -> str:
    """A 20-character id like GoHighLevel's ("ocQHyuzHvysMo5N5VsXc")."""
    digits = ""
    value = number * 7919 + 104729
    while value:
        value, digit = divmod(value, 62)
        digits = ID_ALPHABET[digit] + digits
    return ("ghlC" + digits).ljust(20, "x")


def ghl_error(status: int, message: str | list[str], *, error: str | None = None, **extra) -> Response:
    body = {"statusCode": status, "message": message, **extra}
    if error:
        body["error"] = error
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _stamp(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: object = None
    raw_path: str = ""  # as sent, before percent-decoding


class GoHighLevelStandIn:
    """One sub-account's contacts behind GoHighLevel's API v2, on http://localhost:<port>."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.contacts: dict[str, dict] = {}
        self.received: list[Received] = []
        self.max_page_limit = 500
        # The name of the cursor each searched contact carries; None: none, so only page numbers page.
        self.cursor_field: str | None = "searchAfter"
        self._ids = (ghl_id(n) for n in itertools.count(1))
        self._clock = CLOCK_START
        self._trouble: list[Response] = []
        self._used_today = 0
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"/.*")).respond_with_handler(self._respond)

    @classmethod
    def started(cls) -> GoHighLevelStandIn:
        server = HTTPServer(host="localhost", port=0)
        server.start()
        return cls(server)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def base_url(self) -> str:
        """What GOHIGHLEVEL_BASE_URL is set to: http://localhost:<port>."""
        return f"http://localhost:{self.server.port}"

    # Switches for tests.

    def throttle(self, times: int = 1, *, retry_after: int | None = None, daily_spent: bool = False) -> None:
        """The next `times` calls answer 429: the burst window is spent (or, with `daily_spent`, the day's)."""
        headers = {
            "X-RateLimit-Limit-Daily": str(DAILY_LIMIT),
            "X-RateLimit-Daily-Remaining": "0" if daily_spent else str(DAILY_LIMIT - 1),
            "X-RateLimit-Interval-Milliseconds": str(BURST_INTERVAL_MS),
            "X-RateLimit-Max": str(BURST_MAX),
            "X-RateLimit-Remaining": "0",
        }
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        for _ in range(times):
            answer = ghl_error(429, "Too Many Requests")
            answer.headers.update(headers)
            self._trouble.append(answer)

    def fail(self, times: int = 1, *, status: int = 502) -> None:
        self._trouble.extend(ghl_error(status, "Internal server error") for _ in range(times))

    def add(self, *, at: datetime.datetime | None = None, **fields) -> str:
        """A contact created in GoHighLevel itself (at `at`, else the sub-account's clock); its id. Custom fields
        may be named by their fieldKey ("contact.job_title")."""
        with self._lock:
            standard, custom = _by_key(fields)
            return self._insert(standard, custom=custom, at=at)["id"]

    def delete(self, contact_id: str) -> None:
        with self._lock:
            del self.contacts[contact_id]

    def edit(self, contact_id: str, *, at: datetime.datetime | None = None, **fields) -> str:
        """Someone edits the contact in GoHighLevel (at `at`, else the clock); its new dateUpdated."""
        with self._lock:
            contact = self.contacts[contact_id]
            standard, custom = _by_key(fields)
            contact.update(standard)
            self._set_custom(contact, custom)
            self._derive(contact)
            return self._touch(contact, at=at)

    # The sub-account's custom fields hold what contacts have no standard field for.
    custom_mapping = {"title": "contact.job_title", "linkedin_url": "contact.linkedin"}
    # A 429 carries Retry-After when the test names one, as GoHighLevel's burst limiter does.
    says_retry_after = True

    def rate_limits(self, *, times: int = 1, retry_after: int = 1) -> None:
        self.throttle(times, retry_after=retry_after)

    def server_error(self, *, times: int = 1) -> None:
        self.fail(times)

    def clear_failures(self) -> None:
        with self._lock:
            self._trouble.clear()

    def writes(self) -> int:
        """Calls that created or changed contacts (POST /contacts/, PUT /contacts/{id})."""
        return sum(
            1
            for request in self.received
            if (request.method, request.path) == ("POST", "/contacts/")
            or (request.method == "PUT" and request.path.startswith("/contacts/"))
        )

    @property
    def settings(self) -> dict[str, object]:
        """What a connection to this sub-account needs in settings."""
        return {
            "GOHIGHLEVEL_BASE_URL": self.base_url,
            "GOHIGHLEVEL_TOKEN": TOKEN,
            "GOHIGHLEVEL_LOCATION_ID": LOCATION_ID,
            "GOHIGHLEVEL_RATE_PER_SECOND": 0,
        }

    def custom_value(self, contact_id: str, field_key: str) -> str | None:
        field_id = next(item["id"] for item in CUSTOM_FIELDS if item["fieldKey"] == field_key)
        values = {item["id"]: item["value"] for item in self.contacts[contact_id].get("customFields", [])}
        return values.get(field_id)

    def requests_to(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path == path]

    # The server.

    def _respond(self, request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True)) if request.get_data() else None
        raw_path = (request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "").split("?")[0]
        self.received.append(
            Received(request.method, request.path, dict(request.args), dict(request.headers), body, raw_path)
        )
        with self._lock:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return ghl_error(401, "Invalid token: access token is invalid", error="Unauthorized")
            if self._trouble:
                return self._trouble.pop(0)
            self._used_today += 1
            answer = self._route(request, body)
            answer.headers.update(
                {
                    "X-RateLimit-Limit-Daily": str(DAILY_LIMIT),
                    "X-RateLimit-Daily-Remaining": str(DAILY_LIMIT - self._used_today),
                    "X-RateLimit-Interval-Milliseconds": str(BURST_INTERVAL_MS),
                    "X-RateLimit-Max": str(BURST_MAX),
                    "X-RateLimit-Remaining": str(BURST_MAX - 1),
                }
            )
            return answer

    def _route(self, request: Request, body) -> Response:
        method, path = request.method, request.path
        custom_fields = re.fullmatch(r"/locations/([^/]+)/customFields", path)
        if custom_fields and method == "GET":
            if custom_fields[1] != LOCATION_ID:
                return ghl_error(403, "The token does not have access to this location.")
            return self._json({"customFields": [self._custom_field(item) for item in CUSTOM_FIELDS]})
        if path == "/contacts/search" and method == "POST":
            return self._search(body or {})
        if path == "/contacts/" and method == "POST":
            return self._create(body or {})
        one = re.fullmatch(r"/contacts/([^/]+)", path)
        if one and method == "GET":
            contact = self.contacts.get(one[1])
            return self._json({"contact": contact}) if contact else ghl_error(400, "Contact not found")
        if one and method == "PUT":
            return self._update(one[1], body or {})
        return ghl_error(404, f"Cannot {method} {path}", error="Not Found")

    def _json(self, payload: object, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, content_type="application/json; charset=utf-8")

    def _custom_field(self, item: dict) -> dict:
        return {**item, "placeholder": "", "position": 0, "locationId": LOCATION_ID, "model": "contact"}

    def _unexpected(self, body: dict, allowed: set[str]) -> Response | None:
        unknown = [name for name in body if name not in allowed]
        if unknown:
            messages = [f"property {name} should not exist" for name in unknown]
            return ghl_error(422, messages, error="Unprocessable Entity")
        return None

    def _create(self, body: dict) -> Response:
        refused = self._unexpected(body, CREATE_FIELDS)
        if refused:
            return refused
        if body.get("locationId") != LOCATION_ID:
            return ghl_error(403, "The token does not have access to this location.")
        email = (body.get("email") or "").lower()
        twin = next((c for c in self.contacts.values() if email and c.get("emailLowerCase") == email), None)
        if twin:
            meta = {"contactName": twin.get("contactName", ""), "contactId": twin["id"], "matchingField": "email"}
            return ghl_error(400, "This location does not allow duplicated contacts.", meta=meta)
        fields = {name: value for name, value in body.items() if name not in ("locationId", "customFields")}
        contact = self._insert(fields, custom=body.get("customFields") or [])
        return self._json({"contact": contact}, 201)

    def _update(self, contact_id: str, body: dict) -> Response:
        refused = self._unexpected(body, UPDATE_FIELDS)
        if refused:
            return refused
        contact = self.contacts.get(contact_id)
        if contact is None:
            return ghl_error(400, "Contact not found")
        contact.update({name: value for name, value in body.items() if name != "customFields"})
        self._set_custom(contact, body.get("customFields") or [])
        self._derive(contact)
        self._touch(contact)
        return self._json({"succeded": True, "contact": contact})

    def _search(self, body: dict) -> Response:
        if body.get("locationId") != LOCATION_ID:
            return ghl_error(403, "The token does not have access to this location.")
        limit = body.get("pageLimit")
        if not isinstance(limit, int) or not 1 <= limit <= self.max_page_limit:
            return ghl_error(422, [f"pageLimit must not be greater than {self.max_page_limit}"])
        rows = [contact for contact in self.contacts.values() if _passes(contact, body.get("filters") or [])]
        for order in reversed(body.get("sort") or []):
            rows.sort(key=lambda contact: contact.get(order["field"]) or "", reverse=order.get("direction") == "desc")
        cursor = body.get("searchAfter")
        if cursor and body.get("page"):
            return ghl_error(422, ["page and searchAfter cannot be used together"])
        if cursor:
            position = next(i for i, row in enumerate(rows) if _cursor(row) == cursor)
            rows = rows[position + 1 :]
        elif body.get("page"):
            rows = rows[(body["page"] - 1) * limit :]
        page = [{**row, self.cursor_field: _cursor(row)} if self.cursor_field else row for row in rows[:limit]]
        total = sum(1 for contact in self.contacts.values() if _passes(contact, body.get("filters") or []))
        return self._json({"contacts": page, "total": total})

    def _insert(self, fields: dict, custom: list | None = None, *, at: datetime.datetime | None = None) -> dict:
        contact = {
            "id": next(self._ids),
            "locationId": LOCATION_ID,
            "type": "lead",
            "tags": [],
            "customFields": [],
            "dnd": False,
            **fields,
        }
        contact["dateAdded"] = self._touch(contact, at=at)
        self._set_custom(contact, custom or [])
        self._derive(contact)
        self.contacts[contact["id"]] = contact
        return contact

    def _set_custom(self, contact: dict, values: list[dict]) -> None:
        known = {item["id"] for item in CUSTOM_FIELDS}
        stored = {item["id"]: item["value"] for item in contact.get("customFields", [])}
        for value in values:
            if value.get("id") in known:
                stored[value["id"]] = value.get("field_value")
        contact["customFields"] = [{"id": key, "value": value} for key, value in stored.items()]

    def _derive(self, contact: dict) -> None:
        contact["emailLowerCase"] = (contact.get("email") or "").lower() or None
        name = " ".join(part for part in (contact.get("firstName"), contact.get("lastName")) if part)
        contact["contactName"] = name.lower()

    def _touch(self, contact: dict, *, at: datetime.datetime | None = None) -> str:
        """Stamp the contact one second after the last write, or at `at` (the clock never runs backwards)."""
        moment = at or self._clock + datetime.timedelta(seconds=1)
        self._clock = max(self._clock, moment)
        contact["dateUpdated"] = _stamp(moment)
        return contact["dateUpdated"]


def _by_key(fields: dict) -> tuple[dict, list[dict]]:
    """Fields as a test names them: the contact's own keys, and custom fields by fieldKey (as field values)."""
    ids = {item["fieldKey"]: item["id"] for item in CUSTOM_FIELDS}
    custom = [{"id": ids[name], "field_value": value} for name, value in fields.items() if name in ids]
    return {name: value for name, value in fields.items() if name not in ids}, custom


def _cursor(contact: dict) -> list:
    return [int(_moment(contact["dateUpdated"]).timestamp() * 1000), contact["id"]]


def _passes(contact: dict, filters: list[dict], *, group: str = "AND") -> bool:
    results = []
    for item in filters:
        if "group" in item:
            results.append(_passes(contact, item["filters"], group=item["group"]))
            continue
        field, operator, value = item["field"], item["operator"], item.get("value")
        if field == "email" and operator == "eq":
            results.append((contact.get("email") or "").lower() == str(value).lower())
        elif field == "dateUpdated" and operator == "range":
            moment = _moment(contact["dateUpdated"])
            checks = {"gt": moment.__gt__, "gte": moment.__ge__, "lt": moment.__lt__, "lte": moment.__le__}
            results.append(all(checks[bound](_moment(limit)) for bound, limit in value.items()))
        else:
            raise ValueError(f"The stand-in does not read this filter: {item}")
    return any(results) if group == "OR" else all(results)
