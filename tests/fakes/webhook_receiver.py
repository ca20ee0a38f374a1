"""A webhook endpoint on this machine (a ThreadingHTTPServer served as "localhost", the host name tests allow to
resolve to loopback): it keeps every request it receives (path, headers, raw body) and answers from a script, so a
test can make it fail, hang past the timeout, or redirect."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    # Seconds to wait before answering (past the client's timeout: a hanging endpoint).
    delay: float = 0.0
    location: str = ""


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """start(), url(path), answer(path, *answers), received, stop(). Unscripted requests get 200 "ok"."""

    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[Answer]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver.lock:
                    receiver.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
                    script = receiver.scripts.get(self.path) or []
                    answer = script.pop(0) if len(script) > 1 else (script[0] if script else Answer())
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    if answer.location:
                        self.send_header("Location", answer.location)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up waiting

            do_POST = do_GET = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://localhost:{self.port}{path}"

    def answer(self, path: str, *answers: Answer) -> None:
        """Answer requests to `path` with these in turn; the last one stays."""
        with self.lock:
            self.scripts[path] = list(answers)

    def bodies(self, path: str = "/hook") -> list[bytes]:
        return [request.body for request in self.received if request.path == path]
