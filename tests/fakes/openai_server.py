"""A local stand-in for OpenAI's Chat Completions (POST /v1/chat/completions, non-streaming), replaying the documented
bodies kept in tests/fakes/openai/ (https://platform.openai.com/docs/api-reference/chat/object, .../errors).

Every request must carry "Authorization: Bearer <key>" with the stand-in's key, else 401 with OpenAI's error body.
Each request takes the next planned reply, if any is queued (`replies(...)`); otherwise the answer is the JSON
computed from the request by `answer_with(function)` (default: {"ok": true}), in a chat.completion with usage.
Planned replies: `content(text)` (prose, malformed JSON, anything), `refusal()`, `empty()`, `cut_off(text)`,
`rate_limited(retry_after)`, `server_error()`, `stall(seconds, then)` (no answer before the client's timeout, or a
slow one), `not_chat(text, content_type)` (a 200 that is no Chat Completions body: a web page, broken JSON).

With a pytest fixture or on its own (benchmarks): `stand_in = OpenAiStandIn.started()` ... `stand_in.stop()`;
`stand_in.url` is what OPENAI_BASE_URL is set to.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BODIES = Path(__file__).resolve().parent / "openai"
API_KEY = "sk-test-standin-0123456789abcdef"


def openai_body(name: str) -> dict:
    """One of the replayed bodies, by file name without ".json"."""
    return json.loads((BODIES / f"{name}.json").read_text())


_COMPLETION = openai_body("chat-completion")
_REFUSAL = openai_body("refusal")


@dataclass(frozen=True)
class Reply:
    """One planned answer: a body and status (or raw text of a content type), or a stall of `seconds` first."""

    status: int = 200
    body: dict | None = None
    headers: tuple[tuple[str, str], ...] = ()
    stall_seconds: float = 0.0
    raw: str | None = None
    content_type: str = "application/json"


def completion(text: str | None, *, finish_reason: str = "stop", tokens: tuple[int, int] = (1117, 46)) -> dict:
    body = copy.deepcopy(_COMPLETION)
    body["choices"][0]["message"]["content"] = text
    body["choices"][0]["finish_reason"] = finish_reason
    body["usage"].update(prompt_tokens=tokens[0], completion_tokens=tokens[1], total_tokens=sum(tokens))
    return body


def content(text: str, *, tokens: tuple[int, int] = (1117, 46)) -> Reply:
    return Reply(body=completion(text, tokens=tokens))


def answer(data: dict, *, tokens: tuple[int, int] = (1117, 46)) -> Reply:
    return content(json.dumps(data), tokens=tokens)


def refusal() -> Reply:
    return Reply(body=copy.deepcopy(_REFUSAL))


def empty() -> Reply:
    return Reply(body=completion(""))


def cut_off(text: str) -> Reply:
    return Reply(body=completion(text, finish_reason="length"))


def rate_limited(retry_after: str = "1") -> Reply:
    return Reply(status=429, body=openai_body("error-429-rate-limit"), headers=(("Retry-After", retry_after),))


def server_error() -> Reply:
    return Reply(status=500, body=openai_body("error-500-server"))


def stall(seconds: float, then: Reply | None = None) -> Reply:
    """No answer for `seconds`; then the planned reply `then`, or the computed answer."""
    return Reply(stall_seconds=seconds) if then is None else dataclasses.replace(then, stall_seconds=seconds)


def not_chat(text: str, content_type: str = "text/html") -> Reply:
    """What a wrong base URL can answer: a web page, or a body that is not JSON at all."""
    return Reply(raw=text, content_type=content_type)


class OpenAiStandIn:
    """Chat Completions under /v1 on a local, threaded server (a stalled request does not hold the next one)."""

    def __init__(self, server: HTTPServer, api_key: str = API_KEY):
        self.server = server
        self.api_key = api_key
        self._planned: deque[Reply] = deque()
        self._answer: Callable[[dict], dict] = lambda request: {"ok": True}
        self._lock = threading.Lock()
        self.bodies: list[dict] = []
        server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(self._handle)

    @classmethod
    def started(cls, api_key: str = API_KEY) -> OpenAiStandIn:
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        return cls(server, api_key)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url_for("/v1")

    def replies(self, *planned: Reply) -> None:
        """The next requests' answers, in order; later requests get the computed answer."""
        with self._lock:
            self._planned.extend(planned)

    def answer_with(self, function: Callable[[dict], dict]) -> None:
        """Answer unplanned requests with the JSON object `function(request body)` returns."""
        self._answer = function

    @property
    def request_count(self) -> int:
        return len(self.bodies)

    def _handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _json(openai_body("error-401-invalid-key"), 401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("messages"):
            return _json({"error": {"message": "messages is required", "type": "invalid_request_error"}}, 400)
        with self._lock:
            self.bodies.append(body)
            planned = self._planned.popleft() if self._planned else None
        if planned is None:
            return _json(completion(json.dumps(self._answer(body))))
        if planned.stall_seconds:
            time.sleep(planned.stall_seconds)
            if planned.body is None and planned.raw is None:
                return _json(completion(json.dumps(self._answer(body))))
        if planned.raw is not None:
            return Response(planned.raw, status=planned.status, content_type=planned.content_type)
        return _json(planned.body, planned.status, dict(planned.headers))


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def stand_in_serving(settings):
    """For a pytest fixture: a started stand-in that leadflow.ai is pointed at (fast timeouts and capped waits);
    `yield from stand_in_serving(settings)`."""
    stand_in = OpenAiStandIn.started()
    settings.OPENAI_BASE_URL = stand_in.url
    settings.OPENAI_API_KEY = stand_in.api_key
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.AI_TIMEOUT_SECONDS = 2
    settings.AI_MAX_RETRIES = 2
    settings.AI_RETRY_MAX_WAIT_SECONDS = 0.05
    try:
        yield stand_in
    finally:
        stand_in.stop()
