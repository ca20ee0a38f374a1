"""A local stand-in for Apify's API v2 (https://docs.apify.com/api/v2), replaying bodies from tests/fakes/apify/.

It keeps actors' runs and datasets as state and answers what capture asks, as the API does:
- POST /v2/acts/{actorId}/runs (also spelled /v2/actors/): the input as the body; 201 and {"data": run};
- GET /v2/acts/{actorId}/runs/last?status=SUCCEEDED and GET /v2/actor-runs/{runId}: {"data": run};
- GET /v2/datasets/{datasetId}/items?offset=&limit=&clean=&fields=: a JSON array (of only the comma-separated
  top-level `fields` when given), with X-Apify-Pagination-Offset, -Limit, -Count, -Total and -Desc headers.
An actor id such as compass/crawler-google-places is spelled compass~crawler-google-places in the URL. Every call
must carry "Authorization: Bearer <token>" with the stand-in's token, else 401 with Apify's error body. A run is
given a list of statuses (RUNNING, RUNNING, SUCCEEDED): each look at it takes the next one, the last one stays.

A dataset's items may be any sequence (len and slicing), so a benchmark can serve 50,000 items made on demand
(`SyntheticPlaces`) without building them all first.

With pytest-httpserver's `httpserver` fixture (`ApifyStandIn(httpserver)`), or on its own:
`stand_in = ApifyStandIn.started()` ... `stand_in.stop()`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BODIES = Path(__file__).resolve().parent / "apify"
TOKEN = "apify_api_test_token_0123456789"
# The API's answer for "no limit" in X-Apify-Pagination-Limit.
NO_LIMIT = 999999999999


def apify_body(name: str) -> object:
    """One of the replayed bodies, by file name without ".json" ("run", "google-maps-places")."""
    return json.loads((BODIES / f"{name}.json").read_text())


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json; charset=utf-8")


def _error(name: str, status: int) -> Response:
    return _json(apify_body(name), status=status)


class SyntheticPlaces(Sequence):
    """`count` Google Maps places shaped like compass/crawler-google-places items, made when asked for."""

    def __init__(self, count: int, *, start: int = 0, distinct_phones: bool = False):
        # By default phones repeat every 10,000 places (a dataset full of duplicates); distinct_phones gives each
        # place its own Leeds number, as a real search mostly would. `start` numbers places from there.
        self._count, self._start, self._distinct = count, start, distinct_phones
        self._template = apify_body("google-maps-places")[0]

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(self._count))]
        if not 0 <= index < self._count:
            raise IndexError(index)
        index += self._start
        number = f"{2000000 + index:07d}" if self._distinct else f"496{index % 10000:04d}"
        place = dict(self._template)
        place.update(
            title=f"Plumber {index} Ltd",
            placeId=f"ChIJsynthetic{index:08d}",
            phone=f"0113 {number[:3]} {number[3:]}",
            phoneUnformatted=f"+44113{number}",
            website=f"https://plumber{index}.example/",
            rank=index + 1,
        )
        return place


class ApifyStandIn:
    """Apify's API under /v2 on a local server."""

    def __init__(self, server: HTTPServer, token: str = TOKEN):
        self.server = server
        self.token = token
        self._runs: dict[str, list[dict]] = {}
        self._actor_runs: dict[str, list[str]] = {}
        self._datasets: dict[str, Sequence] = {}
        # Pages already rendered, by dataset and query: Apify serves stored items, so a benchmark's second read of a
        # large dataset times the client's work, not this stand-in building and encoding items in the same process.
        self._pages: dict[tuple, Response] = {}
        self._next_start: dict[str, str] = {}
        self._failures: list[tuple[str, Response]] = []
        self.started_inputs: list[object] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"^/.*$")).respond_with_handler(self._handle)

    @classmethod
    def started(cls, token: str = TOKEN) -> ApifyStandIn:
        server = HTTPServer(host="localhost", port=0)
        server.start()
        return cls(server, token)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def url(self) -> str:
        """What APIFY_BASE_URL is set to: http://localhost:<port> (the client adds /v2)."""
        return self.server.url_for("/").rstrip("/")

    # What the stand-in holds.

    def add_dataset(self, dataset_id: str, items: Sequence | str) -> None:
        """A dataset of these items (a sequence, or a replayed body's name)."""
        self._datasets[dataset_id] = apify_body(items) if isinstance(items, str) else items
        self._pages = {key: page for key, page in self._pages.items() if key[0] != dataset_id}

    def add_run(
        self,
        actor: str,
        run_id: str,
        statuses: Sequence[str] = ("SUCCEEDED",),
        *,
        dataset_id: str = "wmKPijuyDnPZAPRMk",
        status_message: str | None = None,
        finished_at: str = "2019-12-12T09:30:12.202Z",
    ) -> None:
        """A run of an actor (by its name, owner/name) whose looks go through `statuses`; the newest added is last."""
        template = apify_body("run")["data"]
        answers = []
        for status in statuses:
            run = copy.deepcopy(template)
            ended = status not in ("READY", "RUNNING", "TIMING-OUT", "ABORTING")
            run.update(
                id=run_id,
                status=status,
                defaultDatasetId=dataset_id,
                finishedAt=finished_at if ended else None,
                statusMessage=status_message or ("Actor has finished" if ended else "Actor is running"),
                exitCode=(0 if status == "SUCCEEDED" else 1) if ended else None,
            )
            answers.append(run)
        with self._lock:
            self._runs[run_id] = answers
            self._actor_runs.setdefault(_safe(actor), []).append(run_id)

    def starts_into(self, actor: str, run_id: str) -> None:
        """The next start of this actor is this run (add it first)."""
        self._next_start[_safe(actor)] = run_id

    def fails(self, path: str, status: int, body: object = None, *, text: str | None = None, times: int = 1) -> None:
        """The next `times` requests to this path (/v2/actor-runs/..., ...) get this answer instead."""
        payload = text if text is not None else json.dumps(body if body is not None else {"error": {"type": "x"}})
        for _ in range(times):
            self._failures.append((path, Response(payload, status=status, content_type="application/json")))

    def requests(self, path: str | None = None) -> list[Request]:
        """The requests received, oldest first (only those to `path` if given; /v2/actors/ is /v2/acts/)."""
        return [request for request, _ in self.server.log if path is None or _path(request) == path]

    # Answering.

    def _handle(self, request: Request) -> Response:
        with self._lock:
            for index, (path, response) in enumerate(self._failures):
                if path == _path(request):
                    del self._failures[index]
                    return response
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error("error-401-token-not-valid", 401)
        path = _path(request)
        if match := re.fullmatch(r"/v2/acts/([^/]+)/runs", path):
            return self._start(match[1], request) if request.method == "POST" else _json({}, status=405)
        if match := re.fullmatch(r"/v2/acts/([^/]+)/runs/last", path):
            return self._last_run(match[1], request.args.get("status"))
        if match := re.fullmatch(r"/v2/actor-runs/([^/]+)", path):
            run = self._look(match[1])
            return _json({"data": run}) if run else _error("error-404-record-not-found", 404)
        if match := re.fullmatch(r"/v2/datasets/([^/]+)/items", path):
            return self._items(match[1], request)
        return _error("error-404-record-not-found", 404)

    def _start(self, actor: str, request: Request) -> Response:
        run_id = self._next_start.get(actor)
        if run_id is None:
            return _error("error-404-record-not-found", 404)
        self.started_inputs.append(request.get_json(silent=True))
        return _json({"data": self._look(run_id)}, status=201)

    def _last_run(self, actor: str, status: str | None) -> Response:
        with self._lock:
            latest = [self._runs[run_id][-1] for run_id in self._actor_runs.get(actor, [])]
        if status:
            latest = [run for run in latest if run["status"] == status]
        if not latest:
            return _error("error-404-record-not-found", 404)
        return _json({"data": latest[-1]})

    def _look(self, run_id: str) -> dict | None:
        with self._lock:
            answers = self._runs.get(run_id)
            if not answers:
                return None
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _items(self, dataset_id: str, request: Request) -> Response:
        key = (dataset_id, *sorted(request.args.items(multi=True)))
        if (body := self._pages.get(key)) is None:
            body = self._pages[key] = self._items_page(dataset_id, request)
        return Response(body.get_data(), status=body.status_code, headers=body.headers)

    def _items_page(self, dataset_id: str, request: Request) -> Response:
        items = self._datasets.get(dataset_id)
        if items is None:
            return _error("error-404-record-not-found", 404)
        offset = int(request.args.get("offset") or 0)
        limit = int(request.args.get("limit") or NO_LIMIT)
        page = list(items[offset : offset + limit])
        if request.args.get("clean") in ("1", "true"):
            # Clean items: no empty ones, no hidden (#-prefixed) fields; `count` still counts the rows scanned.
            page = [{key: value for key, value in item.items() if not key.startswith("#")} for item in page if item]
        if fields := [name for name in request.args.get("fields", "").split(",") if name]:
            # Only these top-level fields remain, in the order asked.
            page = [{name: item[name] for name in fields if name in item} for item in page]
        scanned = max(0, min(limit, len(items) - offset))
        headers = {
            "X-Apify-Pagination-Offset": str(offset),
            "X-Apify-Pagination-Limit": str(limit),
            "X-Apify-Pagination-Count": str(scanned),
            "X-Apify-Pagination-Total": str(len(items)),
            "X-Apify-Pagination-Desc": "false",
        }
        return _json(page, headers=headers)


def _path(request: Request) -> str:
    # The API answers an actor's endpoints under /v2/acts/ and /v2/actors/ alike (apify-client 3 uses the second).
    return re.sub(r"^/v2/actors/", "/v2/acts/", request.path)


def _safe(actor: str) -> str:
    return actor.replace("/", "~")
