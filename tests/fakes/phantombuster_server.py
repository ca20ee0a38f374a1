"""A local stand-in for PhantomBuster's API v2 (https://hub.phantombuster.com/reference) and the S3 bucket that
holds agents' result files, replaying bodies from tests/fakes/phantombuster/.

It keeps agents and their containers as state and answers the endpoints capture uses, as the API does:
GET /api/v2/agents/fetch?id=, POST /api/v2/agents/launch {id, argument}, GET /api/v2/containers/fetch?id=,
GET /api/v2/containers/fetch-all?agentId=&mode=finalized, GET /api/v2/containers/fetch-result-object?id=
({"resultObject": JSON text or null}), and GET /s3/{orgS3Folder}/{s3Folder}/result.csv. Every API call must carry
the X-Phantombuster-Key header with the stand-in's key, else 401. A container is given a list of bodies (running,
running, finished): each look at it takes the next one, the last one stays.

With pytest-httpserver's `httpserver` fixture (`PhantomBusterStandIn(httpserver)`), or on its own:
`stand_in = PhantomBusterStandIn.started()` ... `stand_in.stop()`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BODIES = Path(__file__).resolve().parent / "phantombuster"
API_KEY = "pb-test-key-0123456789"


def phantombuster_body(name: str) -> dict:
    """One of the replayed JSON bodies, by file name without ".json" ("agent", "container-finished")."""
    return json.loads((BODIES / f"{name}.json").read_text())


def phantombuster_file(name: str) -> str:
    """One of the replayed result files, by its full name ("sales-navigator-search-export.csv")."""
    return (BODIES / name).read_text()


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


class PhantomBusterStandIn:
    """PhantomBuster's API under /api/v2 and its S3 bucket under /s3, on one local server."""

    def __init__(self, server: HTTPServer, api_key: str = API_KEY):
        self.server = server
        self.api_key = api_key
        self.agents: dict[str, dict] = {}
        self._containers: dict[str, list[dict]] = {}
        self._agent_containers: dict[str, list[str]] = {}
        self._results: dict[str, str | None] = {}
        self._files: dict[str, str] = {}
        self._next_launch: dict[str, str] = {}
        self._failures: list[tuple[str, Response]] = []
        self.launches: list[dict] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"^/.*$")).respond_with_handler(self._handle)

    @classmethod
    def started(cls, api_key: str = API_KEY) -> PhantomBusterStandIn:
        server = HTTPServer(host="localhost", port=0)
        server.start()
        return cls(server, api_key)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url_for("/")

    @property
    def base_url(self) -> str:
        """What PHANTOMBUSTER_BASE_URL is set to: http://localhost:<port>/api/v2."""
        return self.server.url_for("/api/v2")

    @property
    def s3_base_url(self) -> str:
        """What PHANTOMBUSTER_S3_BASE_URL is set to."""
        return self.server.url_for("/s3")

    # What the stand-in holds.

    def add_agent(self, agent_id: str, **fields) -> dict:
        """An agent, from the documented agents/fetch body, with these fields changed."""
        agent = {**phantombuster_body("agent"), "id": agent_id, **fields}
        self.agents[agent_id] = agent
        return agent

    def add_container(
        self,
        agent_id: str,
        container_id: str,
        bodies: list[str | dict] = ("container-finished",),
        *,
        result: list[dict] | str | None = None,
        **fields,
    ) -> None:
        """A container of an agent that answers each look with the next of `bodies` (names or dicts), and whose
        result object is `result` (a list of objects, JSON text as it is, or None for none)."""
        answers = []
        for body in bodies:
            answer = copy.deepcopy(phantombuster_body(body) if isinstance(body, str) else body)
            answers.append({**answer, "id": container_id, "agentId": agent_id, **fields})
        with self._lock:
            self._containers[container_id] = answers
            self._agent_containers.setdefault(agent_id, []).append(container_id)
            self._results[container_id] = json.dumps(result) if isinstance(result, list) else result

    def launches_into(self, agent_id: str, container_id: str) -> None:
        """The next launch of this agent starts this container (add it first)."""
        self._next_launch[agent_id] = container_id

    def add_result_csv(self, agent_id: str, text: str) -> None:
        """The agent's result.csv in its S3 folder."""
        agent = self.agents[agent_id]
        self._files[f"/s3/{agent['orgS3Folder']}/{agent['s3Folder']}/result.csv"] = text

    def fails(self, path: str, status: int, body: object = None, *, text: str | None = None, times: int = 1) -> None:
        """The next `times` requests to this path (/api/v2/agents/fetch, ...) get this answer instead."""
        payload = text if text is not None else json.dumps(body if body is not None else {"error": "failure"})
        for _ in range(times):
            self._failures.append((path, Response(payload, status=status, content_type="application/json")))

    def requests(self, path: str | None = None) -> list[Request]:
        return [request for request, _ in self.server.log if path is None or request.path == path]

    # Answering.

    def _handle(self, request: Request) -> Response:
        with self._lock:
            for index, (path, response) in enumerate(self._failures):
                if path == request.path:
                    del self._failures[index]
                    return response
        if request.path.startswith("/s3/"):
            text = self._files.get(request.path)
            if text is None:
                # S3's answer for a key that is not there in a bucket that cannot be listed.
                return Response("<Error><Code>AccessDenied</Code></Error>", status=403, content_type="application/xml")
            return Response(text, content_type="text/csv; charset=utf-8")
        if request.headers.get("X-Phantombuster-Key") != self.api_key:
            return _json(phantombuster_body("error-401"), status=401)
        endpoint = request.path.removeprefix("/api/v2/")
        answer = getattr(self, "_" + endpoint.replace("/", "_").replace("-", "_"), None)
        if answer is None:
            return _json({"error": "Not found"}, status=404)
        return answer(request)

    def _agents_fetch(self, request: Request) -> Response:
        agent = self.agents.get(request.args.get("id", ""))
        return _json(agent) if agent else _json(phantombuster_body("error-404-agent"), status=404)

    def _agents_launch(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        self.launches.append(body)
        agent_id = str(body.get("id", ""))
        if agent_id not in self.agents:
            return _json(phantombuster_body("error-404-agent"), status=404)
        return _json({"containerId": self._next_launch[agent_id]})

    def _look(self, container_id: str) -> dict | None:
        with self._lock:
            answers = self._containers.get(container_id)
            if not answers:
                return None
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _containers_fetch(self, request: Request) -> Response:
        container = self._look(request.args.get("id", ""))
        return _json(container) if container else _json({"error": "Container not found"}, status=404)

    def _containers_fetch_all(self, request: Request) -> Response:
        agent_id = request.args.get("agentId", "")
        if agent_id not in self.agents:
            return _json(phantombuster_body("error-404-agent"), status=404)
        with self._lock:
            latest = [self._containers[container_id][-1] for container_id in self._agent_containers.get(agent_id, [])]
        if request.args.get("mode") == "finalized":
            latest = [container for container in latest if container.get("status") == "finished"]
        latest.sort(key=lambda container: container.get("endedAt") or 0, reverse=True)
        limit = int(request.args.get("limit") or len(latest) or 1)
        return _json({"maxLimitReached": False, "containers": latest[:limit]})

    def _containers_fetch_result_object(self, request: Request) -> Response:
        container_id = request.args.get("id", "")
        if container_id not in self._containers:
            return _json({"error": "Container not found"}, status=404)
        return _json({"resultObject": self._results.get(container_id)})
