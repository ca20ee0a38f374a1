"""Every request has an id: the proxy's X-Request-ID when it gives a sane one, else a new one; it is sent back and
is on every log line of the request, and on the lines of the jobs the request queued."""

import logging

import pytest
from django.urls import reverse
from django_q.signals import pre_enqueue, pre_execute

from leadflow.request_ids import ACCEPTED_ID, RequestIdFilter, current_request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_lines(caplog):
    """The records logged while requests ran, with the request id filter applied as the console handler does."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_it_keeps_the_proxys_request_id_and_sends_it_back(client, request_lines):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="req-7f3a.42")
    assert response["X-Request-ID"] == "req-7f3a.42"
    (access,) = [r for r in request_lines.records if r.name == "leadflow.requests"]
    assert (access.request_id, access.method, access.path, access.status) == ("req-7f3a.42", "GET", "/healthz", 200)


def test_it_makes_an_id_when_none_or_a_strange_one_is_given(client):
    first = client.get(reverse("healthz"))["X-Request-ID"]
    second = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="evil\nline injected")["X-Request-ID"]
    assert ACCEPTED_ID.fullmatch(first) and ACCEPTED_ID.fullmatch(second)
    assert first != second and "evil" not in second


def test_every_line_logged_during_a_request_carries_its_id(client, rep_alice, request_lines):
    client.force_login(rep_alice)
    # A refusal logs a django.request warning inside the request, besides the access line.
    assert client.get("/settings/pipeline/", HTTP_X_REQUEST_ID="abc123").status_code == 403
    lines = [r for r in request_lines.records if r.name in ("django.request", "leadflow.requests")]
    assert {r.name for r in lines} == {"django.request", "leadflow.requests"}
    assert {r.request_id for r in lines} == {"abc123"}
    assert current_request_id.get() == ""  # nothing left behind for the thread's next request


def test_a_job_queued_by_a_request_logs_with_the_requests_id():
    task = {"id": "t1", "func": "crm.tasks.anything"}
    token = current_request_id.set("req-99")
    try:
        pre_enqueue.send(sender="django_q", task=task)  # in the web process, as async_task does
    finally:
        current_request_id.reset(token)
    assert task["request_id"] == "req-99"
    pre_execute.send(sender="django_q", func=None, task=task)  # in the cluster's worker
    try:
        record = logging.LogRecord("crm.tasks", logging.INFO, __file__, 1, "working", (), None)
        RequestIdFilter().filter(record)
        assert record.request_id == "req-99"
        pre_execute.send(sender="django_q", func=None, task={"id": "t2"})  # a scheduled job: no request behind it
        assert current_request_id.get() == "task-t2"
    finally:
        current_request_id.set("")
