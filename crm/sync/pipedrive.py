"""Pipedrive persons through leadflow.http, API v1: list, search by email, create, update, the person fields, and
recent changes. Every answer is Pipedrive's envelope {success, data, additional_data.pagination}; the API token
travels as the api_token parameter. PIPEDRIVE_BASE_URL points it elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

import requests
from django.conf import settings

from crm.sync.base import AuthFailed, Credentials, RemoteRecord, SyncError
from crm.sync.retries import crm_session, request_with_retries, retry_after

PAGE = 100
# Pipedrive writes times as "2024-03-01 10:20:30", in UTC.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Fields whose value is a list of {value, primary, label}: the primary one is the field's text.
LISTED = ("email", "phone")
# The organisation is an id on the person: the client finds (or makes) the organisation by its exact name.
ORGANISATION = "org_id"


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _primary(values) -> str:
    if isinstance(values, list):
        chosen = next((item for item in values if isinstance(item, dict) and item.get("primary")), None)
        chosen = chosen or next((item for item in values if isinstance(item, dict)), None)
        return str(chosen.get("value") or "") if chosen else ""
    return "" if values is None else str(values)


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds Pipedrive asked for: Retry-After, else until its window resets (x-ratelimit-reset)."""
    said = retry_after(response)
    if said is None and (response.headers.get("x-ratelimit-reset") or "").isdigit():
        said = float(response.headers["x-ratelimit-reset"])
    return said


class PipedriveClient:
    name: ClassVar[str] = "Pipedrive"
    create_only_fields: ClassVar[frozenset[str]] = frozenset()
    # Standard person fields by key; custom ones (website, LinkedIn, and Leadflow's owner, stage, score and source)
    # by the name a Pipedrive admin gives them, as the client resolves names to Pipedrive's hashed field keys.
    default_mapping: ClassVar[dict[str, str]] = {
        "email": "email",
        "first_name": "first_name",
        "last_name": "last_name",
        "phone": "phone",
        "title": "job_title",
        "company": ORGANISATION,
        "website": "Website",
        "linkedin_url": "LinkedIn",
        "owner": "Leadflow owner",
        "stage": "Leadflow stage",
        "score": "Leadflow score",
        "source": "Leadflow source",
    }

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.base_url = credentials.base_url.rstrip("/")
        self._keys_by_name: dict[str, str] | None = None
        self._organisations: dict[str, int] = {}
        self._session: requests.Session | None = None

    def _call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None) -> dict:
        """One call, answered with its envelope; 404 answers None-data rather than raising (a deleted person).
        A create (POST) that failed with a 5xx is not sent again: it may have made the person."""
        if self._session is None:
            self._session = crm_session(rate_per_host=settings.PIPEDRIVE_REQUESTS_PER_SECOND)
        response = request_with_retries(
            self._session,
            method,
            f"{self.base_url}{path}",
            crm="Pipedrive",
            what=f"{method} {path}",
            idempotent=method != "POST",
            wait_said=_rate_limit_wait,
            params={**(params or {}), "api_token": self.credentials.token},
            json=body,
        )
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        message = payload.get("error") or response.reason if isinstance(payload, dict) else response.reason
        if response.status_code in (401, 403):
            raise AuthFailed(f"Pipedrive refused the API token ({response.status_code}): {message}")
        if response.status_code == 404:
            return {"success": False, "data": None}
        if response.status_code >= 400 or not isinstance(payload, dict) or not payload.get("success"):
            raise SyncError(f"Pipedrive answered {response.status_code}: {message}")
        return payload

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        start = 0
        while True:
            payload = self._call("GET", path, params={**params, "start": start, "limit": PAGE})
            yield payload
            pagination = (payload.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return
            start = pagination.get("next_start", start + PAGE)

    def _field_keys(self) -> dict[str, str]:
        """Every person field, by key and by name, to its key."""
        if self._keys_by_name is None:
            keys: dict[str, str] = {}
            for payload in self._pages("/v1/personFields", {}):
                for field in payload.get("data") or []:
                    keys[field["key"]] = field["key"]
                    keys.setdefault(field["name"], field["key"])
            self._keys_by_name = keys
        return self._keys_by_name

    def field_names(self) -> set[str]:
        return set(self._field_keys())

    def _record(self, person: dict) -> RemoteRecord:
        fields: dict[str, str] = {}
        names = {key: name for name, key in self._field_keys().items() if name != key}
        for key, value in person.items():
            if key in LISTED:
                text = _primary(value)
            elif key == ORGANISATION:
                text = str(value.get("name") or "") if isinstance(value, dict) else ""
            elif isinstance(value, dict | list):
                continue
            else:
                text = "" if value is None else str(value)
            fields[key] = text
            if key in names:
                fields[names[key]] = text
        return RemoteRecord(remote_id=str(person["id"]), modified_at=_time(person.get("update_time")), fields=fields)

    def _organisation_id(self, name: str) -> int | None:
        """The organisation named exactly `name`, made if there is none."""
        if not name:
            return None
        if name not in self._organisations:
            params = {"term": name, "fields": "name", "exact_match": "true"}
            items = (self._call("GET", "/v1/organizations/search", params=params).get("data") or {}).get("items")
            if items:
                self._organisations[name] = items[0]["item"]["id"]
            else:
                made = self._call("POST", "/v1/organizations", body={"name": name})["data"]
                self._organisations[name] = made["id"]
        return self._organisations[name]

    def _body(self, fields: dict[str, str], *, creating: bool = False) -> dict:
        keys = self._field_keys()
        body: dict = {}
        for name, text in fields.items():
            key = keys.get(name, name)
            if key in LISTED:
                body[key] = [{"value": text, "primary": True, "label": "work"}] if text else []
            elif key == ORGANISATION:
                body[key] = self._organisation_id(text)
            else:
                body[key] = text
        # A new person needs a name: the first and last names, else the email address.
        if creating and "name" not in body:
            full_name = f"{body.get('first_name', '')} {body.get('last_name', '')}".strip()
            body["name"] = full_name or _primary(body.get("email")) or "(no name)"
        return body

    def find_by_emails(self, emails: list[str]) -> dict[str, RemoteRecord]:
        found: dict[str, RemoteRecord] = {}
        for email in sorted({email.lower() for email in emails if email}):
            params = {"term": email, "fields": "email", "exact_match": "true", "limit": 1}
            items = (self._call("GET", "/v1/persons/search", params=params).get("data") or {}).get("items") or []
            if items:
                # The search answers a summary: the person itself carries every field.
                person = self._call("GET", f"/v1/persons/{items[0]['item']['id']}").get("data")
                if person and person.get("active_flag", True):
                    found[email] = self._record(person)
        return found

    def get(self, remote_ids: list[str]) -> dict[str, RemoteRecord]:
        found: dict[str, RemoteRecord] = {}
        for remote_id in dict.fromkeys(remote_ids):
            person = self._call("GET", f"/v1/persons/{remote_id}").get("data")
            # A deleted person answers 404, or for a while still reads with active_flag false.
            if person and person.get("active_flag", True):
                found[remote_id] = self._record(person)
        return found

    def create(self, records: list[dict[str, str]]) -> list[str]:
        # Pipedrive v1 has no batch create: one POST per person.
        return [
            str(self._call("POST", "/v1/persons", body=self._body(fields, creating=True))["data"]["id"])
            for fields in records
        ]

    def update(self, changes: list[tuple[str, dict[str, str]]]) -> set[str]:
        gone: set[str] = set()
        for remote_id, fields in changes:
            answer = self._call("PUT", f"/v1/persons/{remote_id}", body=self._body(fields))
            if not answer.get("data") or not answer["data"].get("active_flag", True):
                gone.add(remote_id)
        return gone

    def changed_since(self, since: datetime | None) -> Iterator[RemoteRecord]:
        if since is None:
            pages = self._pages("/v1/persons", {"sort": "update_time ASC"})
            for payload in pages:
                yield from (self._record(person) for person in payload.get("data") or [])
            return
        params = {"since_timestamp": since.astimezone(UTC).strftime(TIME_FORMAT), "items": "person"}
        for payload in self._pages("/v1/recents", params):
            people = [entry["data"] for entry in payload.get("data") or [] if entry.get("item") == "person"]
            records = [self._record(person) for person in people if person and person.get("active_flag", True)]
            minimum = datetime.min.replace(tzinfo=UTC)
            yield from sorted(records, key=lambda record: record.modified_at or minimum)
