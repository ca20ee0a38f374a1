"""A local stand-in for Twilio's Programmable Messaging REST API
(https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP basic auth (AccountSid, AuthToken), form parameters To,
From, Body or ContentSid + ContentVariables (JSON), StatusCallback.

Like the real one it answers 201 with the Message resource (sid "SM…", status "queued"), 401 with Twilio's error body
(code 20003) for other credentials, and 400 with code 21211 for a "To" that is not a number. `refuse()` makes the
next call fail with the documented error of your choice (63016: free text outside the WhatsApp window). Every call's
form is kept in `calls`. Use with pytest-httpserver's `httpserver` fixture: `TwilioStandIn(httpserver)`.

It also signs webhooks as Twilio does (X-Twilio-Signature: base64 HMAC-SHA1 of the URL and the sorted form
parameters, computed here with the twilio package's own RequestValidator).
"""

from __future__ import annotations

import base64
import itertools
import json
from email.utils import format_datetime

from django.utils import timezone
from pytest_httpserver import HTTPServer
from twilio.request_validator import RequestValidator
from werkzeug import Request, Response

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3c5e2a1b4d6978812345678abcdef90"
WHATSAPP_FROM = "whatsapp:+14155238886"
SMS_FROM = "+15017122661"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
# Documented error bodies (https://www.twilio.com/docs/api/errors/<code>).
ERRORS = {
    20003: (401, "Authenticate"),
    21211: (400, "Invalid 'To' Phone Number"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    63016: (
        400,
        "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, "
        "please use a Message Template.",
    ),
    20429: (429, "Too Many Requests"),
}


def twilio_error(code: int) -> Response:
    status, message = ERRORS[code]
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(json.dumps(body), status=status, content_type="application/json")


def signed(url: str, params: dict[str, str], *, token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send with this webhook."""
    return RequestValidator(token).compute_signature(url, params)


class TwilioStandIn:
    def __init__(self, server: HTTPServer):
        self.server = server
        self.calls: list[dict[str, str]] = []
        self._refusals: list[int] = []
        self._sids = (f"SM{n:032x}" for n in itertools.count(1))
        server.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(self._respond)

    @property
    def base_url(self) -> str:
        """What TWILIO_BASE_URL is set to: http://localhost:<port>."""
        return self.server.url_for("/").rstrip("/")

    def refuse(self, code: int) -> None:
        """The next call is refused with Twilio's documented error `code`."""
        self._refusals.append(code)

    def _respond(self, request: Request) -> Response:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return twilio_error(20003)
        form = request.form.to_dict()
        self.calls.append(form)
        if self._refusals:
            return twilio_error(self._refusals.pop(0))
        if not form.get("To", "").removeprefix("whatsapp:").startswith("+"):
            return twilio_error(21211)
        now = format_datetime(timezone.now())
        sid = next(self._sids)
        body = {
            "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": form.get("Body", ""),
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"), "messaging_service_sid": None,
            "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
            "to": form.get("To"), "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }  # fmt: skip
        return Response(json.dumps(body), status=201, content_type="application/json")
