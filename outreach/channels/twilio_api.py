"""Twilio's Programmable Messaging API (WhatsApp and SMS) through the `twilio` package: a message created with a
body, or with an approved template (Content API: ContentSid and ContentVariables), and what Twilio answered.

The SDK's requests go through leadflow.http's guarded session (its documented custom http_client), and its API
domain's `base_url` is TWILIO_BASE_URL, so a test or a private gateway is a matter of configuration. Knows nothing
of the ORM: the services in outreach.channels.whatsapp decide what to store."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from leadflow.http import BlockedAddress, ResponseTooLarge, http_session
from outreach.delivery import request_never_reached

WHATSAPP_PREFIX = "whatsapp:"


class TwilioFailure(Exception):
    """A message Twilio did not take: `outcome` is "transient" (it did not go: ask again later), "permanent"
    (refused for good, with Twilio's error `code`) or "uncertain" (the exchange broke after it began)."""

    def __init__(self, message: str, *, outcome: str, code: int | None = None):
        super().__init__(message)
        self.outcome = outcome
        self.code = code


@dataclass(frozen=True)
class Accepted:
    """Twilio took the message: its sid ("SM…") and first status ("queued", "accepted", "sent")."""

    sid: str
    status: str


class _GuardedHttpClient(TwilioHttpClient):
    """The SDK's own client, sending through leadflow.http's session (timeouts, the private-address guard)."""

    def __init__(self) -> None:
        super().__init__(timeout=settings.HTTP_TIMEOUT)
        self.session = http_session(rate_per_host=0)


def is_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def _client() -> Client:
    # environment={}: the SID, token, region and edge are ours alone, never read behind our back from os.environ.
    client = Client(
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=_GuardedHttpClient(), environment={}
    )
    client.api.base_url = settings.TWILIO_BASE_URL
    return client


def message_create(
    *, to: str, from_: str, status_callback: str, body: str = "", content_sid: str = "",
    content_variables: dict[str, str] | None = None,
) -> Accepted:  # fmt: skip
    """Ask Twilio to send one message (free text, or a template with its variables). Raises TwilioFailure."""
    if not is_configured():
        raise TwilioFailure("Twilio is not set up (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN).", outcome="permanent")
    fields: dict = {"to": to, "from_": from_, "status_callback": status_callback}
    if content_sid:
        fields |= {"content_sid": content_sid, "content_variables": json.dumps(content_variables or {})}
    else:
        fields["body"] = body
    client = _client()
    try:
        message = client.api.v2010.account.messages.create(**fields)
    except TwilioRestException as exc:
        # Twilio refuses bad requests with 4xx and its error code (21211 invalid number, 63016 outside the window);
        # throttling and its own failures are asked again later, as nothing was created.
        transient = exc.status == 429 or exc.status >= 500
        raise TwilioFailure(
            f"Twilio refused it ({exc.code or exc.status}): {exc.msg}"[:2000],
            outcome="transient" if transient else "permanent", code=exc.code,
        ) from None  # fmt: skip
    except BlockedAddress as exc:
        raise TwilioFailure(str(exc), outcome="permanent") from None
    except (requests.RequestException, ResponseTooLarge) as exc:
        if request_never_reached(exc):
            raise TwilioFailure(f"Twilio could not be reached ({type(exc).__name__}).", outcome="transient") from None
        raise TwilioFailure(
            f"no answer from Twilio ({type(exc).__name__}): it may have been sent.", outcome="uncertain"
        ) from None
    finally:
        client.http_client.session.close()
    return Accepted(sid=message.sid or "", status=message.status or "queued")


def whatsapp_address(number: str) -> str:
    """Twilio's WhatsApp form of an E.164 number: "whatsapp:+447911123456"."""
    return number if number.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{number}"


def bare_number(address: str) -> str:
    """The number of a Twilio address, WhatsApp's prefix taken off."""
    return address.strip().removeprefix(WHATSAPP_PREFIX)


def signature_valid(url: str, params, signature: str) -> bool:
    """Whether Twilio signed this webhook (X-Twilio-Signature over the URL it posted to and its form parameters) with
    our auth token; compared in constant time by the SDK's validator."""
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)
