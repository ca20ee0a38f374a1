"""A request id on every request: taken from X-Request-ID or made up, sent back, and put on every log line of the
request and of the jobs it queues."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

import sentry_sdk
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# A proxy's id is kept when it looks like one (a log line must not take arbitrary text from a client).
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str] = ContextVar("request_id", default="")
access_log = logging.getLogger("leadflow.requests")


class RequestIdMiddleware:
    """Names each request, answers with its id, and logs one line per request (method, path, status, duration)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(HEADER, "")
        request_id = offered if ACCEPTED_ID.fullmatch(offered) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        sentry_sdk.set_tag("request_id", request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            access_log.info(
                "%s %s %s",
                request.method,
                request.get_full_path(),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.get_full_path(),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            current_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record logged while a request (or a job it queued) runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id:
            record.request_id = request_id
        return True


def request_id_onto_task(sender, task: dict, **kwargs) -> None:
    """django-q2's pre_enqueue: a job queued during a request carries the request's id."""
    request_id = current_request_id.get()
    if request_id:
        task["request_id"] = request_id


def request_id_from_task(sender, task: dict, **kwargs) -> None:
    """django-q2's pre_execute (in the worker): the job's log lines carry the id of the request that queued it, or
    the task's own id; a worker runs one task at a time, so the next task replaces it."""
    if task.get("sync"):
        return  # run inside the caller (tests, sync mode): the caller's id stays
    current_request_id.set(task.get("request_id") or f"task-{task.get('id', '')}")
