"""A local stand-in for IndiaMART's Lead Manager CRM API v2 (the "pull" API,
https://help.indiamart.com/knowledge-base/lms-crm-integration/): GET /wservce/crm/crmListing/v2/ with glusr_crm_key,
start_time and end_time ("DD-Mon-YYYY HH:MM:SS", IST).

Like the real one it always answers with its JSON envelope {CODE, STATUS, MESSAGE, TOTAL_RECORDS, RESPONSE}: a key
other than the seller's gets the documented 401 body, missing or malformed times the 400 body, a window longer than
7 days a 400 as well; otherwise the next queued answer (by default the 204 "no leads" body). Bodies live in
tests/fakes/indiamart/*.json. Use with pytest-httpserver's `httpserver` fixture: `IndiaMartStandIn(httpserver)`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BODIES = Path(__file__).resolve().parent / "indiamart"
LISTING_PATH = "/wservce/crm/crmListing/v2/"
TIME_FORMAT = "%d-%b-%Y %H:%M:%S"
SELLER_KEY = "mR26Fr1t4nbIQPeo5HOC7liOolvElDlhXw=="


def indiamart_body(name: str) -> dict:
    """A replayed body by file name without ".json" ("listing-success", "listing-throttled", "push-enquiry")."""
    return json.loads((BODIES / f"{name}.json").read_text())


class IndiaMartStandIn:
    """The pull endpoint on a local server; `queue()` the answers the next calls get, in order."""

    def __init__(self, server: HTTPServer, *, crm_key: str = SELLER_KEY):
        self.server = server
        self.crm_key = crm_key
        self._answers: list[tuple[dict, int]] = []
        self.calls: list[dict[str, str]] = []  # the query of each call, in order
        server.expect_request(LISTING_PATH, method="GET").respond_with_handler(self._respond)

    @property
    def base_url(self) -> str:
        """What INDIAMART_BASE_URL (or a source's base URL) is set to: http://localhost:<port>."""
        return self.server.url_for("/").rstrip("/")

    def queue(self, *bodies: str | dict, http_status: int = 200) -> None:
        """Answer the next calls with these bodies (stored names or dicts), one per call."""
        for body in bodies:
            self._answers.append((indiamart_body(body) if isinstance(body, str) else body, http_status))

    def windows(self) -> list[tuple[datetime, datetime]]:
        """The (start, end) each call asked for, as naive IST times."""
        return [
            (datetime.strptime(call["start_time"], TIME_FORMAT), datetime.strptime(call["end_time"], TIME_FORMAT))
            for call in self.calls
        ]

    def _respond(self, request: Request) -> Response:
        query = dict(request.args)
        self.calls.append(query)
        if query.get("glusr_crm_key") != self.crm_key:
            return self._json(indiamart_body("listing-bad-key"))
        try:
            start = datetime.strptime(query["start_time"], TIME_FORMAT)
            end = datetime.strptime(query["end_time"], TIME_FORMAT)
        except (KeyError, ValueError):
            return self._json(indiamart_body("listing-missing-dates"))
        if end - start > timedelta(days=7):
            return self._json(
                {"CODE": 400, "STATUS": "FAILURE", "MESSAGE": "Time duration should not exceed 7 days.",
                 "TOTAL_RECORDS": 0, "RESPONSE": []}
            )  # fmt: skip
        if self._answers:
            body, status = self._answers.pop(0)
            return self._json(body, status)
        return self._json(indiamart_body("listing-no-leads"))

    @staticmethod
    def _json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")
