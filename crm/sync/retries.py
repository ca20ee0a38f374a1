"""The HTTP session CRM clients share, how long they wait between tries, and the one loop that tries again.

A CRM client retries on its own rather than in leadflow.http's transport, because only it knows which calls are safe
to repeat: a throttled call (429, Salesforce's REQUEST_LIMIT_EXCEEDED) was not run and may always go again, while a
create that failed with a 5xx may have half-run and must not be sent twice. The transport still retries failed
connections, which reached nobody. Clients on plain HTTP (Pipedrive, GoHighLevel) call `request_with_retries`;
Salesforce's SDK raises instead of answering, so its client runs the same rule around each SDK call with the same
RETRIES and backoff_seconds; HubSpot's SDK takes the rule as a urllib3 Retry (`sdk_retry`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings

from crm.sync.base import RateLimited, SyncError
from leadflow.http import (
    BACKOFF_FACTOR,
    RETRY_STATUSES,
    BlockedAddress,
    LeadflowSession,
    ResponseTooLarge,
    http_session,
)
from leadflow.http import _CappedRetry as CappedRetry
from leadflow.params import count_or

logger = logging.getLogger(__name__)

# Tries after the first; waits double from 1 s (1, 2, 4), or follow what the CRM said, capped by HTTP_RETRY_AFTER_MAX.
RETRIES = 3


def crm_session(rate_per_host: float) -> LeadflowSession:
    """The guarded session (timeouts, private-address check, size cap) with no retries on answers."""
    session = http_session(rate_per_host=rate_per_host)
    for adapter in session.adapters.values():
        adapter.max_retries = adapter.max_retries.new(
            status_forcelist=(), respect_retry_after_header=False, raise_on_status=False
        )
    return session


def backoff_seconds(attempt: int, said: float | None = None) -> float:
    """The pause before try number `attempt` (1 for the first retry): what the CRM asked for, else doubling."""
    wait = said if said is not None and said >= 0 else BACKOFF_FACTOR * 2**attempt
    return min(wait, settings.HTTP_RETRY_AFTER_MAX)


def retry_after(response: requests.Response) -> float | None:
    """The seconds a Retry-After header asks for (the delta form CRMs send), or None."""
    seconds = count_or(response.headers.get("Retry-After"), -1)
    return float(seconds) if seconds >= 0 else None


def request_with_retries(
    session: requests.Session,
    method: str,
    url: str,
    *,
    crm: str,
    what: str,
    idempotent: bool = True,
    wait_said: Callable[[requests.Response], float | None] = retry_after,
    limit_spent: Callable[[requests.Response], str] = lambda response: "",
    **kwargs: Any,
) -> requests.Response:
    """One call, tried again while the CRM throttles (429: any call) or fails (5xx: calls safe to repeat); the answer
    is returned for the caller to read. Throttling that outlasts RETRIES, or that `limit_spent` says no wait ends
    (its reason, e.g. a daily quota), is RateLimited; failing that outlasts them, or no connection, is SyncError."""
    attempt = 0
    while True:
        try:
            response = session.request(method, url, **kwargs)
        except (requests.RequestException, BlockedAddress, ResponseTooLarge) as error:
            raise SyncError(f"{crm} could not be reached ({type(error).__name__}).") from None
        status = response.status_code
        throttled = status == 429
        if not (throttled or (idempotent and status >= 500)):
            return response
        said = wait_said(response) if throttled else None
        spent = limit_spent(response) if throttled else ""
        if throttled and (spent or attempt >= RETRIES):
            raise RateLimited(f"{crm} is rate limiting ({status}) to {what}{': ' + spent if spent else ''}", said)
        if attempt >= RETRIES:
            raise SyncError(f"{crm} is failing ({status}) to {what}")
        attempt += 1
        wait = backoff_seconds(attempt, said)
        logger.info("%s answered %s to %s; trying again in %.1f s", crm, status, what, wait)
        time.sleep(wait)


class _CreateSafeRetry(CappedRetry):
    """Retries 429s only: a create that failed with a 5xx may have made the records, and the next run finds them by
    email instead of making them twice."""

    def is_retry(self, method, status_code, has_retry_after=False):
        if status_code != 429:
            return False
        return super().is_retry(method, status_code, has_retry_after)


def sdk_retry(*, creating: bool = False) -> CappedRetry:
    """The same rule for an SDK that takes a urllib3 Retry: RETRIES tries on 429 and 5xx (429 only when creating),
    Retry-After followed and capped, every method (an SDK's searches and batch reads are POSTs that change nothing);
    the last answer reaches the SDK, which raises it."""
    return (_CreateSafeRetry if creating else CappedRetry)(
        total=RETRIES,
        read=False,
        other=0,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        respect_retry_after_header=True,
        allowed_methods=None,
        raise_on_status=False,
    )
