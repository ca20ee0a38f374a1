"""A local stand-in for the Graph API's lead endpoint (GET /v21.0/{leadgen_id}), replaying Meta's documented bodies
from tests/fakes/meta/: a lead with field_data (standard questions and custom ones), and the common error body
{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}} for an expired token (190), a throttle (4),
a service failure (2, with HTTP 500) and an unknown lead (100).
Docs: https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving and
https://developers.facebook.com/docs/graph-api/guides/error-handling.

With pytest-httpserver's `httpserver` fixture (`MetaGraphStandIn(httpserver)`), or on its own for a benchmark:
`stand_in = MetaGraphStandIn.started()` ... `stand_in.stop()`; `answers_every_lead()` makes up a lead for any id.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BODIES = Path(__file__).resolve().parent / "meta"
VERSION = "v21.0"
# Graph's HTTP status for each replayed error body.
ERROR_STATUS = {
    "error-190-token-expired": 400,
    "error-4-application-request-limit": 403,
    "error-2-service-unavailable": 500,
    "error-100-no-such-lead": 400,
}


def meta_body(name: str) -> dict:
    """One replayed body by file name without ".json" ("lead", "webhook-leadgen", "error-190-token-expired")."""
    return json.loads((BODIES / f"{name}.json").read_text())


def meta_lead(leadgen_id: str, **answers: str) -> dict:
    """The documented lead body for another id, with some answers replaced or added (name=value)."""
    lead = meta_body("lead")
    lead["id"] = str(leadgen_id)
    values = {item["name"]: item for item in lead["field_data"]}
    for name, value in answers.items():
        if name in values:
            values[name]["values"] = [value]
        else:
            lead["field_data"].append({"name": name, "values": [value]})
    return lead


FIRST_NAMES = ["Amara", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Keiko",
               "Lucas", "Maya", "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tariq"]  # fmt: skip
LAST_NAMES = ["Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat", "Ivanova",
              "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quintero", "Rossi", "Schmidt",
              "Tanaka"]  # fmt: skip


def meta_person(leadgen_id: str) -> dict:
    """The documented lead for this id with a person made from the id: name, email, phone (+1 415 5xx xxxx) and
    company differ from one id to the next."""
    number = int(leadgen_id)
    first, last = FIRST_NAMES[number % 20], LAST_NAMES[number // 20 % 20]
    return meta_lead(
        leadgen_id,
        full_name=f"{first} {last}",
        email=f"{first}.{last}.{number}@example.com".lower(),
        phone_number=f"+14155{number % 1_000_000:06d}",
        company_name=f"{last} Fleet {number}",
    )


def meta_notification(*leadgen_ids: str, page_id: str = "153125381133") -> dict:
    """The documented leadgen notification, with one change per lead id."""
    notification = meta_body("webhook-leadgen")
    template = notification["entry"][0]["changes"][0]
    notification["entry"][0]["id"] = page_id
    changes = []
    for leadgen_id in leadgen_ids:
        change = copy.deepcopy(template)
        change["value"].update(leadgen_id=str(leadgen_id), page_id=page_id)
        changes.append(change)
    notification["entry"][0]["changes"] = changes
    return notification


class MetaGraphStandIn:
    """The Graph API lead endpoint on a local server; each answer is told to it before the client asks."""

    def __init__(self, server: HTTPServer):
        self.server = server

    @classmethod
    def started(cls) -> MetaGraphStandIn:
        server = HTTPServer(host="localhost", port=0, threaded=True)
        server.start()
        return cls(server)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def base_url(self) -> str:
        """What META_GRAPH_BASE_URL (or a source's base URL) is set to: http://localhost:<port>/v21.0."""
        return self.server.url_for(f"/{VERSION}")

    def answers_lead(self, leadgen_id: str, lead: dict | None = None, *, once: bool = False) -> None:
        """Answer GET /v21.0/<leadgen_id> with a lead (the documented one, given that id, by default)."""
        body = lead if lead is not None else meta_lead(leadgen_id)
        self._expect(leadgen_id, once).respond_with_json(body)

    def answers_error(self, leadgen_id: str, name: str, *, once: bool = False) -> None:
        """Answer with a documented error body ("error-190-token-expired", ...) and its HTTP status."""
        self._expect(leadgen_id, once).respond_with_json(meta_body(name), status=ERROR_STATUS[name])

    def answers_every_lead(self) -> None:
        """Any lead id gets the documented lead with that id and a person of its own (for the benchmark): a name,
        email, phone and company made from the id, as real ad leads are different people (with the documented
        phone for all, every lead was matched to the first one by its phone)."""
        pattern = re.compile(rf"^/{re.escape(VERSION)}/(\d+)$")

        def handler(request: Request) -> Response:
            leadgen_id = pattern.match(request.path).group(1)
            return Response(json.dumps(meta_person(leadgen_id)), content_type="application/json")

        self.server.expect_request(pattern, method="GET").respond_with_handler(handler)

    def _expect(self, leadgen_id: str, once: bool):
        expect = self.server.expect_oneshot_request if once else self.server.expect_request
        return expect(f"/{VERSION}/{leadgen_id}", method="GET")

    def requests(self, leadgen_id: str | None = None) -> list[Request]:
        """The requests received, oldest first (only those for one lead if given)."""
        path = f"/{VERSION}/{leadgen_id}" if leadgen_id else None
        return [request for request, _ in self.server.log if path is None or request.path == path]
