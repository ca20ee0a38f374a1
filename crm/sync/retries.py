"""The HTTP session CRM clients share, and how long they wait between tries.

A CRM client retries on its own rather than in leadflow.http's transport, because only it knows which calls are safe
to repeat: a throttled call (429, Salesforce's REQUEST_LIMIT_EXCEEDED) was not run and may always go again, while a
create that failed with a 5xx may have half-run and must not be sent twice. The transport still retries failed
connections, which reached nobody.
"""

from __future__ import annotations

from django.conf import settings

from leadflow.http import BACKOFF_FACTOR, LeadflowSession, http_session

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
