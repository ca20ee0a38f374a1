"""Apify as a capture source, through the apify-client package and Apify's API v2 (https://docs.apify.com/api/v2).

A campaign names an actor ("compass/crawler-google-places"; the API spells it compass~crawler-google-places) and
either reads its last succeeded run (GET acts/{actor}/runs/last?status=SUCCEEDED) or starts it with an input
(POST acts/{actor}/runs) and waits for the run to end (GET actor-runs/{run}). The run's default dataset is read in
pages (GET datasets/{id}/items?offset=&limit=&clean=1, with X-Apify-Pagination-Total/Offset/Limit/Count headers)
and its items are turned into rows one page at a time, so a 50,000-item dataset never sits in memory whole:
`Fetched.rows` is then a generator of rows, and the headers come from the known shape or the first page.

apify-client makes the calls, but through a transport of ours that sends them over leadflow.http's session (its
timeouts, retries of 429/5xx honouring Retry-After, size cap and the private-address check on every connection and
redirect); the base URL's host is checked before anything is sent, so a private address is refused at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pydantic
import requests
from apify_client import ApifyClient
from apify_client.errors import ApifyApiError, ApifyClientError
from apify_client.http_clients import HttpClient
from django.conf import settings

from leadflow.http import BlockedAddress, ResponseTooLarge, checked_addresses, http_session
from scraping.sources.base import Fetched, SourceFailed, SourceSettings
from scraping.sources.phantombuster import answer_after_retries
from scraping.sources.shapes import ItemShape, apify_shape, cell_text

logger = logging.getLogger(__name__)

UNREADABLE = "Apify sent an answer that could not be read"
KEY_REJECTED = "Apify rejected the API token"
# Items asked for per dataset page: small enough to stay far below HTTP_MAX_BYTES with rich items.
PAGE_ITEMS = 500
FIRST_POLL_SECONDS = 2.0
MAX_POLL_SECONDS = 30.0
ENDED_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"})


def fetch(source: SourceSettings, target: dict, cursor: dict) -> Fetched:
    """The items of the actor's run (its last succeeded one, or one started now) as rows, or an empty Fetched
    when that run is the one the cursor already holds."""
    token = source.secret("token")
    if not token:
        raise SourceFailed("No Apify API token is set for this source.", retry=False)
    actor = str(target.get("actor") or "").strip()
    dataset_id = str(target.get("dataset") or "").strip()
    if not (actor or dataset_id):
        raise SourceFailed("The campaign names no Apify actor or dataset.", retry=False)
    _check_base_url(source.base_url)
    client, transport = _client(token, source.base_url)
    try:
        fetched = _fetch(client, actor, dataset_id, target, cursor or {})
    except BaseException:
        transport.close()
        raise
    if not isinstance(fetched.rows, list):
        fetched.rows = _closing(fetched.rows, transport)
    else:
        transport.close()
    return fetched


def _fetch(client: ApifyClient, actor: str, dataset_id: str, target: dict, cursor: dict) -> Fetched:
    raw: dict = {"actor": actor}
    new_cursor = dict(cursor)
    with _failures_as_source_failed():
        if not dataset_id:
            run = _run(client, actor, target, cursor)
            if run is None:
                return Fetched(headers=[], rows=[], cursor=cursor, notes=["The actor has no succeeded run yet."])
            if cursor.get("run_id") == run.id:
                note = "No new run of the actor since the last fetch."
                return Fetched(headers=[], rows=[], cursor=cursor, notes=[note])
            _raise_if_failed(run.id, run.status, run.status_message)
            dataset_id, new_cursor = run.default_dataset_id, {"run_id": run.id}
            raw.update(run_id=run.id, status=run.status, finished_at=str(run.finished_at or ""))
        raw["dataset_id"] = dataset_id
        dataset = client.dataset(dataset_id)
        fields = target.get("fields") if isinstance(target.get("fields"), list) else None
        known = apify_shape(actor, None)  # known by the actor's id: only its fields from the first page on
        first = dataset.list_items(offset=0, limit=PAGE_ITEMS, clean=True, fields=fields or _fields_of(known))
    raw["items_total"] = first.total
    if not first.items:
        note = f"The actor's dataset {dataset_id} holds no items."
        return Fetched(headers=[], rows=[], cursor=new_cursor, raw=raw, notes=[note], empty_is_suspicious=True)
    shape = apify_shape(actor, first.items[0])
    if shape is not None:
        headers, mapping, to_row = shape.headers(), shape.mapping(), shape.row
    else:
        headers, mapping = _keys(first.items), None
        to_row = _flat_row(headers)
    raw["shape"] = shape.name if shape else None
    notes = [f"{first.total} items in dataset {dataset_id}, read as {_shape_name(shape)}."]
    rows = _rows(dataset, first, to_row, fields or _fields_of(shape))
    return Fetched(headers=headers, rows=rows, mapping=mapping, cursor=new_cursor, raw=raw, notes=notes)


def _run(client: ApifyClient, actor: str, target: dict, cursor: dict):
    """The run to read: one an earlier try started (still waited for), the one started now (waited for), or the
    last succeeded one (None when there is none)."""
    if not actor:
        raise SourceFailed("The campaign names no Apify actor.", retry=False)
    if cursor.get("pending_run_id"):
        pending = client.run(str(cursor["pending_run_id"])).get()
        if pending is not None:
            return _wait_for(client, pending)
    actor_client = client.actor(actor)
    if target.get("run", "last") == "start":
        run = actor_client.start(run_input=target.get("input") or None)
        return _wait_for(client, run)
    return actor_client.last_run(status="SUCCEEDED").get()


def _wait_for(client: ApifyClient, run):
    """The run once it has ended, looked at with growing pauses for at most CAPTURE_WAIT_SECONDS (counted as the
    pauses taken)."""
    waited, pause = 0.0, FIRST_POLL_SECONDS
    run_client = client.run(run.id)
    while run.status not in ENDED_STATUSES:
        if waited >= settings.CAPTURE_WAIT_SECONDS:
            raise SourceFailed(
                f"The actor's run {run.id} was still {run.status} after {settings.CAPTURE_WAIT_SECONDS} s; it is "
                "read again on the next try.",
                pending={"run_id": run.id},
            )
        pause = min(pause, settings.CAPTURE_WAIT_SECONDS - waited) or pause
        time.sleep(pause)
        waited += pause
        pause = min(pause * 2, MAX_POLL_SECONDS)
        run = run_client.get()
        if run is None:
            raise SourceFailed("Apify lost the actor's run while it was being waited for.")
    return run


def _raise_if_failed(run_id: str, status: str, message: str | None) -> None:
    said = f": {message}" if message else "."
    if status == "SUCCEEDED":
        return
    if status == "TIMED-OUT":
        # The actor ran out of its own time limit: a later run may finish (or the limit needs raising).
        raise SourceFailed(f"The actor's run {run_id} timed out (TIMED-OUT){said}")
    if status in ("FAILED", "ABORTED"):
        raise SourceFailed(f"The actor's run {run_id} ended {status}{said}", retry=False)
    raise SourceFailed(f"The actor's run {run_id} has not finished ({status}).")


def _rows(dataset, first, to_row, fields: list[str] | None) -> Iterator[list[str]]:
    """Rows page by page: each page's items are turned into rows and let go before the next page is asked for."""
    page = first
    offset = 0
    with _failures_as_source_failed():
        while True:
            for item in page.items:
                yield to_row(item)
            # `count` is the rows the API scanned (clean=1 may skip some), so the next page starts after them.
            offset += page.count
            if page.count == 0 or offset >= page.total:
                return
            page = dataset.list_items(offset=offset, limit=PAGE_ITEMS, clean=True, fields=fields)


def _closing(rows: Iterator[list[str]], transport: GuardedTransport) -> Iterator[list[str]]:
    try:
        yield from rows
    finally:
        transport.close()


def _fields_of(shape: ItemShape | None) -> list[str] | None:
    return shape.fields() if shape else None


def _keys(items: list[dict]) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(item))
    return list(keys)


def _flat_row(headers: list[str]):
    # Fields a later page adds that the first page lacked are left out: the headers are fixed before streaming.
    return lambda item: [cell_text(item.get(header)) for header in headers]


def _shape_name(shape: ItemShape | None) -> str:
    return shape.name if shape else "an unknown item shape (columns from the first page)"


def _check_base_url(base_url: str) -> None:
    """Refuse a base URL on a private address before apify-client is given it (HTTP_ALLOW_PRIVATE_HOSTS aside)."""
    parts = urlsplit(base_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceFailed(f"Apify's base URL {base_url!r} is not an http(s) address.", retry=False)
    try:
        checked_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except BlockedAddress as exc:
        raise SourceFailed(str(exc), retry=False) from None
    except OSError:
        raise SourceFailed(f"Apify's host {parts.hostname} could not be resolved.") from None


@contextmanager
def _failures_as_source_failed() -> Iterator[None]:
    """Every way an Apify call can fail, as SourceFailed: the API's own errors by status, an unreadable answer, the
    network, the guard."""
    try:
        yield
    except ApifyApiError as exc:
        raise _api_failure(exc) from None
    except ResponseTooLarge:
        raise SourceFailed(f"Apify sent more than {settings.HTTP_MAX_BYTES:,} bytes in one answer.") from None
    except BlockedAddress as exc:
        raise SourceFailed(str(exc), retry=False) from None
    except requests.RequestException as exc:
        raise SourceFailed(f"Apify could not be reached ({type(exc).__name__}).") from None
    except (ApifyClientError, ValueError, KeyError, pydantic.ValidationError) as exc:
        raise SourceFailed(f"{UNREADABLE} ({type(exc).__name__}).") from None


def _api_failure(exc: ApifyApiError) -> SourceFailed:
    status = exc.status_code
    said = f": {exc.message}" if exc.message and not exc.message.startswith("Unexpected error") else "."
    if status in (401, 403):
        return SourceFailed(KEY_REJECTED, retry=False)
    if status == 404:
        return SourceFailed(f"Apify has no such actor, run or dataset{said}", retry=False)
    if status == 429 or status >= 500:
        return SourceFailed(f"Apify kept failing (HTTP {status}) after retries; trying later{said}")
    return SourceFailed(f"Apify refused the request (HTTP {status}){said}", retry=False)


def _client(token: str, base_url: str) -> tuple[ApifyClient, GuardedTransport]:
    transport = GuardedTransport(token=token)
    client = ApifyClient.with_custom_http_client(
        token, api_url=base_url, api_public_url=base_url, http_client=transport
    )
    return client, transport


# Raised by the transport's async half, which apify-client's synchronous client never calls.
SYNCHRONOUS_ONLY = "Leadflow's Apify transport is synchronous"


class _Response:
    """A requests response as apify-client's HttpResponse protocol wants it."""

    def __init__(self, response: requests.Response):
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def text(self) -> str:
        return self._response.text

    @property
    def content(self) -> bytes:
        return self._response.content

    @property
    def headers(self):
        return self._response.headers

    def json(self) -> Any:
        return self._response.json()

    def read(self) -> bytes:
        return self._response.content

    def close(self) -> None:
        self._response.close()

    def iter_bytes(self) -> Iterator[bytes]:
        return self._response.iter_content(64 * 1024)

    # The protocol's async half: Leadflow uses apify-client's synchronous client only, which never calls these.
    async def aread(self) -> bytes:
        raise RuntimeError(SYNCHRONOUS_ONLY)

    async def aclose(self) -> None:
        raise RuntimeError(SYNCHRONOUS_ONLY)

    def aiter_bytes(self):
        raise RuntimeError(SYNCHRONOUS_ONLY)


class GuardedTransport(HttpClient):
    """apify-client's transport over leadflow.http: the session retries 429 and 5xx (GETs; a POST that starts a
    run is never sent twice), so the client's own retries are off, and its timeouts are ours."""

    def __init__(self, *, token: str):
        seconds = timedelta(seconds=settings.HTTP_TIMEOUT)
        # A dataset page may take longer to build than a plain answer; the long tier caps it.
        long = max(seconds, timedelta(seconds=60))
        super().__init__(
            token=token,
            timeout_short=seconds,
            timeout_medium=max(seconds, timedelta(seconds=30)),
            timeout_long=long,
            timeout_max=long,
            max_retries=0,
        )
        self._session = http_session()
        answer_after_retries(self._session)

    def send_request(self, *, method, url, headers, content, timeout, stream) -> _Response:
        response = self._session.request(
            method, url, headers=headers, data=content, timeout=timeout, stream=stream, allow_redirects=True
        )
        logger.info("Apify %s %s answered %s", method, urlsplit(url).path, response.status_code)
        return _Response(response)

    def is_retryable_transport_error(self, exc: Exception) -> bool:
        return False

    def close(self) -> None:
        self._session.close()
