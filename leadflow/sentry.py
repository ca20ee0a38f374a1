"""Errors to Sentry when SENTRY_DSN is set: no personal data (no cookies, users or addresses; emails and phone
numbers masked in everything an event carries, its messages, request data and breadcrumbs included)."""

from __future__ import annotations

from typing import Any

from leadflow.redaction import personal_data_masked_in


def event_masked(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry's before_send: the event with every email and phone number masked."""
    return personal_data_masked_in(event)


def sentry_start(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        before_send=event_masked,
        before_send_transaction=event_masked,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
    )
