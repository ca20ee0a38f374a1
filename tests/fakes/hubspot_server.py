"""A local stand-in for HubSpot's CRM v3 contacts API (https://developers.hubspot.com/docs/api/crm/contacts), keeping
contacts in memory and answering in HubSpot's documented shapes:

- GET  /crm/v3/properties/contacts: {"results": [property, ...]}
- POST /crm/v3/objects/contacts/search: filterGroups (EQ, IN, GT on any property), sorts, properties, limit, after;
  {"total", "results", "paging": {"next": {"after", "link"}}} while more remain
- POST /crm/v3/objects/contacts/batch/read: 200, or 207 Multi-Status with an OBJECT_NOT_FOUND error naming the ids
  that are gone
- POST /crm/v3/objects/contacts/batch/create: 201; 409 CONFLICT when an email already exists
- POST /crm/v3/objects/contacts/batch/update: 200; 404 OBJECT_NOT_FOUND when an id is gone
- a contact is {"id", "properties": {...}, "createdAt", "updatedAt", "archived"}; times are ISO 8601 with
  milliseconds and Z; the properties hold only those asked for, plus createdate, hs_object_id and lastmodifieddate
- 401 INVALID_AUTHENTICATION without the private app token as a Bearer token; 429 RATE_LIMIT with HubSpot's
  X-HubSpot-RateLimit-* headers and a Retry-After (queued with `rate_limits`).
"""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime

from werkzeug import Request, Response

from tests.fakes.crm_stand_in import CrmStandIn, json_response

TOKEN = "pat-na1-00000000-0000-0000-0000-000000000000"
OBJECTS = "/crm/v3/objects/contacts"
# The account's contact properties: HubSpot's standard ones the sync maps, and the custom ones Leadflow suggests.
PROPERTIES = [
    ("email", "Email"),
    ("firstname", "First Name"),
    ("lastname", "Last Name"),
    ("phone", "Phone Number"),
    ("jobtitle", "Job Title"),
    ("company", "Company Name"),
    ("website", "Website URL"),
    ("hs_linkedin_url", "LinkedIn URL"),
    ("lifecyclestage", "Lifecycle Stage"),
    ("leadflow_owner", "Leadflow owner"),
    ("leadflow_stage", "Leadflow stage"),
    ("leadflow_score", "Leadflow score"),
    ("leadflow_source", "Leadflow source"),
    ("createdate", "Create Date"),
    ("lastmodifieddate", "Last Modified Date"),
    ("hs_object_id", "Record ID"),
]
NOT_FOUND_MESSAGE = "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."
ALWAYS = ("createdate", "hs_object_id", "lastmodifieddate")


def hubspot_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _error(status: int, category: str, message: str, headers: dict | None = None, **extra) -> Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}
    return json_response(body, status, headers)


class HubSpotStandIn(CrmStandIn):
    def __init__(self, server, token: str = TOKEN, property_names: list[str] | None = None):
        super().__init__(server)
        self.token = token
        self.properties = [
            (name, label) for name, label in PROPERTIES if property_names is None or name in property_names
        ]
        self.contacts: dict[str, dict] = {}
        self._ids = itertools.count(101)
        self.page_size_cap = 100

    # A 429 here always names its wait in Retry-After.
    says_retry_after = True

    @property
    def settings(self) -> dict[str, str]:
        """What a connection to this account needs in settings."""
        return {"HUBSPOT_BASE_URL": self.base_url, "HUBSPOT_TOKEN": self.token}

    # What the stand-in holds.

    def add(self, *, at: datetime | None = None, **properties: str) -> str:
        """A contact made in HubSpot by someone else, last modified `at` (now by default); its id."""
        contact_id = str(next(self._ids))
        moment = at or datetime.now(UTC)
        self.contacts[contact_id] = {
            "id": contact_id,
            "properties": {"createdate": hubspot_time(moment), "hs_object_id": contact_id},
            "createdAt": hubspot_time(moment),
            "updatedAt": hubspot_time(moment),
            "archived": False,
        }
        self.edit(contact_id, at=moment, **properties)
        return contact_id

    def edit(self, contact_id: str, *, at: datetime | None = None, **properties: str) -> None:
        """Someone changes the contact in HubSpot at `at` (now by default)."""
        contact = self.contacts[contact_id]
        stamp = hubspot_time(at or datetime.now(UTC))
        contact["properties"].update(properties, lastmodifieddate=stamp)
        contact["updatedAt"] = stamp

    def delete(self, contact_id: str) -> None:
        """Someone deletes (archives) the contact in HubSpot."""
        self.contacts[contact_id]["archived"] = True

    def by_email(self, email: str) -> dict | None:
        return next((c for c in self._live() if c["properties"].get("email", "").lower() == email.lower()), None)

    def rate_limits(self, path: str = OBJECTS, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` requests under `path` answer HubSpot's 429."""
        headers = {
            "Retry-After": str(retry_after),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "0",
        }
        response = _error(
            429,
            "RATE_LIMITS",
            "You have reached your ten_secondly_rolling limit.",
            headers,
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
        self.fails(path, response, times=times)

    def server_error(self, path: str = OBJECTS, *, times: int = 1, status: int = 502) -> None:
        self.fails(path, _error(status, "INTERNAL_ERROR", "Bad Gateway"), times=times)

    # Answering.

    def _live(self) -> list[dict]:
        return [contact for contact in self.contacts.values() if not contact["archived"]]

    def _shown(self, contact: dict, wanted: list[str] | None) -> dict:
        names = set(wanted or ["email", "firstname", "lastname"]) | set(ALWAYS)
        properties = {name: value for name, value in contact["properties"].items() if name in names}
        return {**contact, "properties": properties}

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            )
        body = request.get_json(silent=True) or {}
        route = (request.method, request.path)
        if route == ("GET", "/crm/v3/properties/contacts"):
            return self._properties()
        if route == ("POST", f"{OBJECTS}/search"):
            return self._search(body)
        if route == ("POST", f"{OBJECTS}/batch/read"):
            return self._batch_read(body)
        if route == ("POST", f"{OBJECTS}/batch/create"):
            return self._batch_create(body)
        if route == ("POST", f"{OBJECTS}/batch/update"):
            return self._batch_update(body)
        return _error(404, "OBJECT_NOT_FOUND", "resource not found")

    def _properties(self) -> Response:
        results = [
            {
                "name": name,
                "label": label,
                "type": "string",
                "fieldType": "text",
                "groupName": "contactinformation",
                "hidden": False,
                "modificationMetadata": {"archivable": True, "readOnlyDefinition": True, "readOnlyValue": False},
            }
            for name, label in self.properties
        ]
        return json_response({"results": results})

    @staticmethod
    def _matches(contact: dict, filters: list[dict]) -> bool:
        for rule in filters:
            value = contact["properties"].get(rule["propertyName"], "")
            operator = rule["operator"]
            if rule["propertyName"] == "lastmodifieddate":
                value = str(int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000))
                if operator == "GT" and not int(value) > int(rule["value"]):
                    return False
                continue
            if operator == "EQ" and value.lower() != str(rule["value"]).lower():
                return False
            if operator == "IN" and value not in rule["values"]:  # HubSpot's IN wants lowercase strings
                return False
        return True

    def _search(self, body: dict) -> Response:
        groups = body.get("filterGroups") or []
        found = [c for c in self._live() if not groups or any(self._matches(c, g["filters"]) for g in groups)]
        for sort in reversed(body.get("sorts") or []):
            found.sort(
                key=lambda c: c["properties"].get(sort["propertyName"], ""), reverse=sort["direction"] != "ASCENDING"
            )
        start = int(body.get("after") or 0)
        limit = min(int(body.get("limit") or 10), self.page_size_cap)
        page = found[start : start + limit]
        answer = {"total": len(found), "results": [self._shown(c, body.get("properties")) for c in page]}
        if start + limit < len(found):
            after = str(start + limit)
            answer["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
        return json_response(answer)

    def _batch_read(self, body: dict) -> Response:
        ids = [item["id"] for item in body.get("inputs", [])]
        found = [self.contacts[i] for i in ids if i in self.contacts and not self.contacts[i]["archived"]]
        missing = [i for i in ids if i not in self.contacts or self.contacts[i]["archived"]]
        now = hubspot_time(datetime.now(UTC))
        answer = {
            "status": "COMPLETE",
            "results": [self._shown(c, body.get("properties")) for c in found],
            "startedAt": now,
            "completedAt": now,
        }
        if not missing:
            return json_response(answer)
        answer["numErrors"] = 1
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": NOT_FOUND_MESSAGE,
                "context": {"ids": missing},
            }
        ]
        return json_response(answer, 207)

    def _batch_create(self, body: dict) -> Response:
        inputs = body.get("inputs", [])
        for item in inputs:
            existing = self.by_email(item["properties"].get("email", "")) if item["properties"].get("email") else None
            if existing:
                return _error(409, "CONFLICT", f"Contact already exists. Existing ID: {existing['id']}")
        made = [self.contacts[self.add(**item["properties"])] for item in inputs]
        now = hubspot_time(datetime.now(UTC))
        # HubSpot does not promise the inputs' order: the stand-in answers in reverse, as a real batch may.
        results = [self._shown(c, list(c["properties"])) for c in reversed(made)]
        return json_response({"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}, 201)

    def _batch_update(self, body: dict) -> Response:
        inputs = body.get("inputs", [])
        if any(item["id"] not in self.contacts or self.contacts[item["id"]]["archived"] for item in inputs):
            return _error(404, "OBJECT_NOT_FOUND", "Could not find some CONTACT objects.")
        for item in inputs:
            self.edit(item["id"], **item["properties"])
        now = hubspot_time(datetime.now(UTC))
        results = [self._shown(self.contacts[item["id"]], list(item["properties"])) for item in inputs]
        return json_response({"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})

    def writes(self) -> int:
        """How many calls changed contacts (batch creates and updates)."""
        return len(self.requests_to("batch/create")) + len(self.requests_to("batch/update"))

    def clear_failures(self) -> None:
        self._failures.clear()

    def requests_to(self, endpoint: str) -> list[dict]:
        """The JSON bodies sent to an endpoint under the contacts objects ("batch/create", "search")."""
        return [json.loads(r.get_data() or b"{}") for r in self.requests(f"{OBJECTS}/{endpoint}")]
