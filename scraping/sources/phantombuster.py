"""PhantomBuster as a capture source, through its API v2 (https://hub.phantombuster.com/docs/api).

A campaign names an agent (a configured Phantom). Each fetch either launches it (POST agents/launch) and waits for
its container to finish, or takes its latest finished container (GET containers/fetch-all?agentId=&mode=finalized),
then reads the container's result object (GET containers/fetch-result-object: `resultObject` is a JSON string of a
list of objects) or, when that is empty, the agent's result CSV in its S3 folder ({orgS3Folder}/{s3Folder}/
result.csv, both named by GET agents/fetch). The key goes in the X-Phantombuster-Key header; v2 timestamps are in
milliseconds. Every call goes through leadflow.http (timeouts, retries of 429/5xx, the private-address guard).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time

import requests
from django.conf import settings

from leadflow.http import BlockedAddress, ResponseTooLarge, http_session
from scraping.sources.base import Fetched, SourceFailed, SourceSettings
from scraping.sources.shapes import cell_text, phantombuster_mapping

logger = logging.getLogger(__name__)

UNREADABLE = "PhantomBuster sent an answer that could not be read"
KEY_REJECTED = "PhantomBuster rejected the API key"
# Container statuses after which nothing more happens (the API's documented status values).
ENDED_STATUSES = frozenset({"finished", "launch error", "never launched"})
# Waits between two looks at a running container: 2 s, doubling, never more than 30 s.
FIRST_POLL_SECONDS = 2.0
MAX_POLL_SECONDS = 30.0
# How many of the agent's latest finished containers to look through for the newest one.
CONTAINERS_LISTED = 10


def fetch(source: SourceSettings, target: dict, cursor: dict) -> Fetched:
    """The rows of the agent's newest finished run (launched now when `target["launch"]`), or an empty Fetched
    when that run is the one the cursor already holds."""
    agent_id = str(target.get("agent") or "").strip()
    if not agent_id:
        raise SourceFailed("The campaign names no PhantomBuster agent.", retry=False)
    api_key = source.secret("api_key")
    if not api_key:
        raise SourceFailed("No PhantomBuster API key is set for this source.", retry=False)
    try:
        with http_session() as session:
            answer_after_retries(session)
            api = PhantomBusterApi(session, source.base_url, api_key)
            return _fetch(api, agent_id, target, cursor or {})
    except ResponseTooLarge:
        raise SourceFailed(f"PhantomBuster sent more than {settings.HTTP_MAX_BYTES:,} bytes.") from None
    except BlockedAddress as exc:
        raise SourceFailed(str(exc), retry=False) from None
    except requests.RequestException as exc:
        raise SourceFailed(f"PhantomBuster could not be reached ({type(exc).__name__}).") from None


def _fetch(api: PhantomBusterApi, agent_id: str, target: dict, cursor: dict) -> Fetched:
    agent = api.agent(agent_id)
    if cursor.get("pending_container_id"):
        container = api.wait_for(str(cursor["pending_container_id"]))  # launched by an earlier try of this run
    elif target.get("launch"):
        container = api.wait_for(api.launch(agent_id, target.get("argument")))
    else:
        container = api.latest_finished_container(agent_id)
        if container is None:
            return Fetched(headers=[], rows=[], cursor=cursor, notes=["The agent has not finished a run yet."])
        if cursor.get("container_id") and str(container.get("id")) == str(cursor["container_id"]):
            return Fetched(headers=[], rows=[], cursor=cursor, notes=["No new run of the agent since the last fetch."])
    _raise_if_failed(container)
    container_id = str(container["id"])
    new_cursor = {"container_id": container_id, "ended_at": container.get("endedAt")}
    headers, rows, read_from = api.result_object(container_id)
    if not rows:
        headers, rows, read_from = api.result_csv(agent)
    raw = {"agent": agent_id, **new_cursor, "read_from": read_from}
    if not rows:
        note = f"The agent's run {container_id} finished without results."
        return Fetched(headers=[], rows=[], cursor=new_cursor, raw=raw, notes=[note], empty_is_suspicious=True)
    shape, mapping = phantombuster_mapping(headers)
    notes = [f"Read {len(rows)} rows from the {read_from} as {shape or 'an unknown result shape'}."]
    raw["rows"], raw["shape"] = len(rows), shape
    return Fetched(headers=headers, rows=rows, mapping=mapping, cursor=new_cursor, raw=raw, notes=notes)


def answer_after_retries(session: requests.Session) -> None:
    """Retries that run out hand back the last answer (its status says what held) instead of a RetryError."""
    for adapter in session.adapters.values():
        adapter.max_retries = adapter.max_retries.new(raise_on_status=False)


def _raise_if_failed(container: dict) -> None:
    """A container that ended in error, as SourceFailed with its own message. A non-zero exit code is the agent's
    script saying it failed (a stale LinkedIn cookie, a bad input): trying again changes nothing until someone
    fixes the agent. A launch that never happened or a platform stop may go through later."""
    status = container.get("status")
    exit_code = container.get("exitCode")
    end_type = container.get("endType")
    said = container.get("exitMessage") or container.get("endMessage") or container.get("lastEndMessage") or ""
    said = f": {said}" if said else "."
    if status in ("launch error", "never launched"):
        raise SourceFailed(f"PhantomBuster could not launch the agent ({status}){said}")
    if isinstance(exit_code, int) and exit_code != 0:
        raise SourceFailed(f"The agent's run failed (exit code {exit_code}){said}", retry=False)
    if end_type not in (None, "", "finished"):
        raise SourceFailed(f"The agent's run ended early ({end_type}){said}")


class PhantomBusterApi:
    """The few v2 calls capture needs, each answer checked, every failure a SourceFailed."""

    def __init__(self, session: requests.Session, base_url: str, api_key: str):
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"X-Phantombuster-Key": api_key, "Accept": "application/json"}

    def _call(self, method: str, endpoint: str, *, params: dict | None = None, body: dict | None = None):
        response = self._session.request(
            method, f"{self._base_url}/{endpoint}", params=params, json=body, headers=self._headers
        )
        logger.info("PhantomBuster %s answered %s", endpoint, response.status_code)
        _raise_for_status(response, endpoint)
        try:
            return response.json()
        except ValueError:
            raise SourceFailed(f"{UNREADABLE} ({endpoint}).") from None

    def _object(self, method: str, endpoint: str, **kwargs) -> dict:
        answer = self._call(method, endpoint, **kwargs)
        if not isinstance(answer, dict):
            raise SourceFailed(f"{UNREADABLE} ({endpoint}).")
        return answer

    def agent(self, agent_id: str) -> dict:
        return self._object("GET", "agents/fetch", params={"id": agent_id})

    def launch(self, agent_id: str, argument: dict | str | None) -> str:
        body: dict = {"id": agent_id}
        if argument:
            body["argument"] = argument
        container_id = self._object("POST", "agents/launch", body=body).get("containerId")
        if not container_id:
            raise SourceFailed(f"{UNREADABLE} (agents/launch gave no container id).")
        return str(container_id)

    def container(self, container_id: str) -> dict:
        container = self._object("GET", "containers/fetch", params={"id": container_id})
        if not container.get("id"):
            container["id"] = container_id
        return container

    def latest_finished_container(self, agent_id: str) -> dict | None:
        answer = self._call(
            "GET",
            "containers/fetch-all",
            params={"agentId": agent_id, "mode": "finalized", "limit": CONTAINERS_LISTED},
        )
        containers = answer.get("containers") if isinstance(answer, dict) else answer
        if not isinstance(containers, list):
            raise SourceFailed(f"{UNREADABLE} (containers/fetch-all).")
        ended = [
            container
            for container in containers
            if isinstance(container, dict) and container.get("id") and container.get("status") in ENDED_STATUSES
        ]
        return max(ended, key=lambda container: _number(container.get("endedAt")), default=None)

    def wait_for(self, container_id: str) -> dict:
        """The container once it has ended, looked at with growing pauses for at most CAPTURE_WAIT_SECONDS (counted
        as the pauses taken, so a slow answer never stretches the wait past what was planned)."""
        waited, pause = 0.0, FIRST_POLL_SECONDS
        while True:
            container = self.container(container_id)
            if container.get("status") in ENDED_STATUSES:
                return container
            if waited >= settings.CAPTURE_WAIT_SECONDS:
                raise SourceFailed(
                    f"The agent's run {container_id} was still {container.get('status') or 'running'} after "
                    f"{settings.CAPTURE_WAIT_SECONDS} s; it is read again on the next try.",
                    pending={"container_id": container_id},
                )
            pause = min(pause, settings.CAPTURE_WAIT_SECONDS - waited) or pause
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, MAX_POLL_SECONDS)

    def result_object(self, container_id: str) -> tuple[list[str], list[list[str]], str]:
        answer = self._object("GET", "containers/fetch-result-object", params={"id": container_id})
        text = answer.get("resultObject")
        if not text:
            return [], [], "result object"
        try:
            result = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            raise SourceFailed(f"{UNREADABLE} (the result object is not JSON).") from None
        if isinstance(result, dict):
            # Some Phantoms keep only links to their files in the result object: their S3 CSV is read instead.
            result = [] if {"csvURL", "csvUrl", "jsonUrl", "jsonURL"} & result.keys() else [result]
        if not isinstance(result, list):
            raise SourceFailed(f"{UNREADABLE} (the result object is not a list).")
        headers, rows = table_from_objects([entry for entry in result if isinstance(entry, dict)])
        return headers, rows, "result object"

    def result_csv(self, agent: dict) -> tuple[list[str], list[list[str]], str]:
        org_folder, folder = agent.get("orgS3Folder"), agent.get("s3Folder")
        if not (org_folder and folder):
            return [], [], "result object"
        url = f"{settings.PHANTOMBUSTER_S3_BASE_URL.rstrip('/')}/{org_folder}/{folder}/result.csv"
        response = self._session.get(url)
        logger.info("PhantomBuster result.csv answered %s", response.status_code)
        # S3 answers 403 as well as 404 for a file that is not there (the bucket cannot be listed).
        if response.status_code in (403, 404):
            return [], [], "result CSV"
        _raise_for_status(response, "result.csv")
        headers, rows = table_from_csv(response.content)
        return headers, rows, "result CSV"


def _raise_for_status(response: requests.Response, endpoint: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    said = _error_message(response)
    said = f": {said}" if said else "."
    if status in (401, 403):
        raise SourceFailed(KEY_REJECTED, retry=False)
    if status == 404:
        what = "agent" if endpoint.startswith("agents/") else "run or file"
        raise SourceFailed(f"PhantomBuster has no such {what} ({endpoint}){said}", retry=False)
    if status == 429 or status >= 500:
        raise SourceFailed(f"PhantomBuster kept failing (HTTP {status}) after retries; trying later{said}")
    raise SourceFailed(f"PhantomBuster refused the request (HTTP {status}, {endpoint}){said}", retry=False)


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        message = body.get("error") or body.get("message") or ""
        return str(message)[:300]
    return ""


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def table_from_objects(objects: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Headers in order of first appearance across all objects, and one row of text cells per object."""
    headers: dict[str, None] = {}
    for entry in objects:
        headers.update(dict.fromkeys(entry))
    names = list(headers)
    return names, [[cell_text(entry.get(name)) for name in names] for entry in objects]


def table_from_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except (StopIteration, csv.Error):
        return [], []
    width = len(headers)
    try:
        rows = [(row + [""] * width)[:width] for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise SourceFailed(f"PhantomBuster's result CSV could not be read ({exc}).") from None
    return headers, rows
