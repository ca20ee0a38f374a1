"""A local stand-in for Pipedrive's API v1 persons (https://developers.pipedrive.com/docs/api/v1/Persons), keeping
people in memory and answering in Pipedrive's documented envelope {"success", "data", "additional_data"}:

- GET  /v1/personFields: standard fields by key, custom ones with 40-character hashed keys
- GET  /v1/persons?start&limit&sort=update_time ASC, with additional_data.pagination {start, limit,
  more_items_in_collection, next_start}
- GET  /v1/persons/{id}; PUT /v1/persons/{id}; POST /v1/persons (201); a deleted person answers with active_flag
  false for a while (Pipedrive keeps it 30 days), an unknown id 404 "Person not found"
- GET  /v1/persons/search?term&fields=email&exact_match=true: {"data": {"items": [{"result_score", "item"}]}}
- GET  /v1/recents?since_timestamp&items=person: [{"item": "person", "id", "data": person}]
- GET  /v1/organizations/search, POST /v1/organizations
- email and phone are lists of {"label", "value", "primary"}; org_id an object with the organisation's name and
  id ("value"); times "YYYY-MM-DD HH:MM:SS" in UTC
- 401 "unauthorized access" without the right api_token; 429 "Request over limit" with Retry-After and the
  x-ratelimit-limit/-remaining/-reset headers (queued with `rate_limits`).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

from werkzeug import Request, Response

from tests.fakes.crm_stand_in import CrmStandIn, json_response

TOKEN = "0123456789abcdef0123456789abcdef01234567"
ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
CUSTOM_FIELDS = {
    "Website": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345671",
    "LinkedIn": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345672",
    "Leadflow owner": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345673",
    "Leadflow stage": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345674",
    "Leadflow score": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345675",
    "Leadflow source": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345676",
}
STANDARD_FIELDS = [
    ("name", "Name", "varchar"),
    ("first_name", "First name", "varchar"),
    ("last_name", "Last name", "varchar"),
    ("email", "Email", "varchar"),
    ("phone", "Phone", "phone"),
    ("job_title", "Job title", "varchar"),
    ("org_id", "Organization", "org"),
    ("owner_id", "Owner", "user"),
    ("update_time", "Update time", "date"),
    ("add_time", "Person created", "date"),
]
PERSON = re.compile(r"^/v1/persons/(\d+)$")


def pipedrive_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _failure(status: int, error: str, headers: dict | None = None) -> Response:
    body = {"success": False, "error": error, "errorCode": status, "error_info": ERROR_INFO, "data": None}
    return json_response(body, status, headers)


def _page(items: list, start: int, limit: int) -> tuple[list, dict]:
    page = items[start : start + limit]
    more = start + limit < len(items)
    pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return page, {"pagination": pagination}


class PipedriveStandIn(CrmStandIn):
    def __init__(self, server, token: str = TOKEN):
        super().__init__(server)
        self.token = token
        self.persons: dict[int, dict] = {}
        self.organisations: dict[int, dict] = {}
        self._ids = itertools.count(1)
        self._org_ids = itertools.count(501)

    # A 429 here always names its wait in Retry-After.
    says_retry_after = True

    @property
    def settings(self) -> dict[str, str]:
        """What a connection to this account needs in settings."""
        return {"PIPEDRIVE_BASE_URL": self.base_url, "PIPEDRIVE_TOKEN": self.token}

    # What the stand-in holds.

    def add(self, *, at: datetime | None = None, **fields) -> int:
        """A person made in Pipedrive by someone else; fields by key or custom field name ("LinkedIn")."""
        person_id = next(self._ids)
        moment = at or datetime.now(UTC)
        self.persons[person_id] = {
            "id": person_id,
            "company_id": 1,
            "owner_id": {"id": 1, "name": "Pat Pipedrive", "email": "pat@pipedrive.test", "value": 1},
            "org_id": None,
            "name": "",
            "first_name": "",
            "last_name": "",
            "email": [],
            "phone": [],
            "job_title": "",
            "active_flag": True,
            "visible_to": "3",
            "add_time": pipedrive_time(moment),
            "update_time": pipedrive_time(moment),
            **dict.fromkeys(CUSTOM_FIELDS.values()),
        }
        self.edit(person_id, at=moment, **fields)
        return person_id

    def edit(self, person_id: int | str, *, at: datetime | None = None, **fields) -> None:
        person = self.persons[int(person_id)]
        for key, value in fields.items():
            key = CUSTOM_FIELDS.get(key, key)
            if key in ("email", "phone") and isinstance(value, str):
                value = [{"label": "work", "value": value, "primary": True}] if value else []
            if key == "org_id" and isinstance(value, str) and not value.isdigit():
                # Named rather than pointed at (a test's shorthand): the organisation is found or made.
                found = [o["id"] for o in self.organisations.values() if o["name"] == value]
                value = found[0] if found else self.add_organisation(value)
            if key == "org_id" and value is not None and not isinstance(value, dict):
                organisation = self.organisations[int(value)]
                value = {"name": organisation["name"], "people_count": 1, "value": organisation["id"]}
            person[key] = value
        if not fields.get("name") and ("first_name" in fields or "last_name" in fields):
            person["name"] = f"{person['first_name'] or ''} {person['last_name'] or ''}".strip()
        person["update_time"] = pipedrive_time(at or datetime.now(UTC))

    def delete(self, person_id: int | str) -> None:
        """Someone deletes the person: Pipedrive keeps it, inactive, for 30 days."""
        person = self.persons[int(person_id)]
        person["active_flag"] = False
        person["update_time"] = pipedrive_time(datetime.now(UTC))

    def add_organisation(self, name: str) -> int:
        organisation_id = next(self._org_ids)
        self.organisations[organisation_id] = {"id": organisation_id, "name": name, "active_flag": True}
        return organisation_id

    def field(self, person_id: int, name: str) -> object:
        """A person's value by key or custom field name; email and phone as their primary value."""
        value = self.persons[person_id].get(CUSTOM_FIELDS.get(name, name))
        if name in ("email", "phone"):
            return next((item["value"] for item in value if item.get("primary")), "")
        if name == "org_id":
            return value["name"] if value else ""
        return value

    def by_email(self, email: str) -> dict | None:
        for person in self.persons.values():
            if person["active_flag"] and any(item["value"].lower() == email.lower() for item in person["email"]):
                return person
        return None

    def writes(self) -> int:
        """How many calls changed people (POST and PUT)."""
        return len(self.requests(method="POST")) + len(self.requests(method="PUT"))

    def clear_failures(self) -> None:
        self._failures.clear()

    def rate_limits(self, path: str = "/v1/persons", *, times: int = 1, retry_after: int = 2) -> None:
        headers = {
            "Retry-After": str(retry_after),
            "x-ratelimit-limit": "80",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(retry_after),
        }
        self.fails(path, _failure(429, "Request over limit", headers), times=times)

    def server_error(self, path: str = "/v1/persons", *, times: int = 1, status: int = 502) -> None:
        self.fails(path, _failure(status, "Bad Gateway"), times=times)

    # Answering.

    def handle(self, request: Request) -> Response:
        if request.args.get("api_token") != self.token:
            return _failure(401, "unauthorized access")
        body = request.get_json(silent=True) or {}
        path, method = request.path, request.method
        if (method, path) == ("GET", "/v1/personFields"):
            return self._fields(request)
        if (method, path) == ("GET", "/v1/persons"):
            return self._list(request)
        if (method, path) == ("POST", "/v1/persons"):
            return self._create(body)
        if (method, path) == ("GET", "/v1/persons/search"):
            return self._search(request)
        if (method, path) == ("GET", "/v1/recents"):
            return self._recents(request)
        if (method, path) == ("GET", "/v1/organizations/search"):
            return self._organisation_search(request)
        if (method, path) == ("POST", "/v1/organizations"):
            return self._organisation_create(body)
        match = PERSON.match(path)
        if match:
            person = self.persons.get(int(match.group(1)))
            if person is None:
                return _failure(404, "Person not found")
            if method == "GET":
                return json_response({"success": True, "data": person})
            if method == "PUT":
                if not person["active_flag"]:
                    return json_response({"success": True, "data": person})
                self.edit(person["id"], **body)
                return json_response({"success": True, "data": person})
        return _failure(404, "Not found")

    def _fields(self, request: Request) -> Response:
        fields = [
            {"id": n, "key": key, "name": name, "field_type": kind, "edit_flag": False, "active_flag": True}
            for n, (key, name, kind) in enumerate(STANDARD_FIELDS, start=1)
        ]
        fields += [
            {"id": 100 + n, "key": key, "name": name, "field_type": "varchar", "edit_flag": True, "active_flag": True}
            for n, (name, key) in enumerate(CUSTOM_FIELDS.items())
        ]
        start, limit = int(request.args.get("start", 0)), int(request.args.get("limit", 100))
        page, additional = _page(fields, start, limit)
        return json_response({"success": True, "data": page, "additional_data": additional})

    def _list(self, request: Request) -> Response:
        people = [p for p in self.persons.values() if p["active_flag"]]
        if request.args.get("sort", "").startswith("update_time"):
            people.sort(key=lambda p: (p["update_time"], p["id"]))
        start, limit = int(request.args.get("start", 0)), int(request.args.get("limit", 100))
        page, additional = _page(people, start, limit)
        return json_response({"success": True, "data": page or None, "additional_data": additional})

    def _create(self, body: dict) -> Response:
        if not body.get("name"):
            return _failure(400, "Name must be given.")
        person_id = self.add(**body)
        return json_response({"success": True, "data": self.persons[person_id], "related_objects": {}}, 201)

    def _search(self, request: Request) -> Response:
        term = request.args.get("term", "").lower()
        person = self.by_email(term) if request.args.get("fields") == "email" else None
        items = []
        if person is not None:
            summary = {
                "id": person["id"],
                "type": "person",
                "name": person["name"],
                "phones": [item["value"] for item in person["phone"]],
                "emails": [item["value"] for item in person["email"]],
                "visible_to": 3,
                "owner": {"id": person["owner_id"]["id"]},
                "organization": None,
                "custom_fields": [],
                "notes": [],
                "update_time": person["update_time"],
            }
            items = [{"result_score": 1.0, "item": summary}]
        page, additional = _page(items, int(request.args.get("start", 0)), int(request.args.get("limit", 100)))
        return json_response({"success": True, "data": {"items": page}, "additional_data": additional})

    def _recents(self, request: Request) -> Response:
        since = request.args.get("since_timestamp", "")
        changed = sorted(
            (p for p in self.persons.values() if p["update_time"] >= since), key=lambda p: (p["update_time"], p["id"])
        )
        entries = [{"item": "person", "id": p["id"], "data": p} for p in changed]
        page, additional = _page(entries, int(request.args.get("start", 0)), int(request.args.get("limit", 100)))
        additional["since_timestamp"] = since
        additional["last_timestamp_on_page"] = page[-1]["data"]["update_time"] if page else since
        return json_response({"success": True, "data": page, "additional_data": additional})

    def _organisation_search(self, request: Request) -> Response:
        term = request.args.get("term", "")
        found = [o for o in self.organisations.values() if o["name"].lower() == term.lower()]
        items = [
            {"result_score": 1.0, "item": {"id": o["id"], "type": "organization", "name": o["name"]}} for o in found
        ]
        page, additional = _page(items, 0, 100)
        return json_response({"success": True, "data": {"items": page}, "additional_data": additional})

    def _organisation_create(self, body: dict) -> Response:
        organisation_id = self.add_organisation(body.get("name", ""))
        return json_response({"success": True, "data": self.organisations[organisation_id]}, 201)
