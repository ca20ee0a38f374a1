"""A local stand-in for the Salesforce REST API (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/):
an HTTPS server on localhost holding one org's Lead records in memory.

It answers what SalesforceClient asks, in Salesforce's documented shapes:
- POST /services/oauth2/token (OAuth 2.0 client credentials): {access_token, instance_url, id, token_type, ...}, or
  400 {"error": "invalid_client", "error_description": "invalid client credentials"};
- GET /services/data/vXX.X/sobjects/Lead/describe: {"name", "fields": [{"name", "label", "type", "createable",
  "updateable", ...}]};
- GET /services/data/vXX.X/query?q=SOQL: {"totalSize", "done", "nextRecordsUrl", "records": [{"attributes", ...}]},
  then GET /services/data/vXX.X/query/<locator>-<offset> for the next batch (the SELECT ... FROM ... WHERE
  Email|Id IN (...) / LastModifiedDate > literal ... ORDER BY forms the client sends; an unknown column is 400
  INVALID_FIELD, as Salesforce answers);
- POST and PATCH /services/data/vXX.X/composite/sobjects (sObject Collections): a SaveResult per record, in order
  ({"id", "success", "errors": [{"statusCode", "message", "fields"}]}), ENTITY_IS_DELETED for a deleted record,
  REQUIRED_FIELD_MISSING for a Lead without LastName or Company, 400 for more than 200 records or an unknown field.
Errors elsewhere are Salesforce's JSON list [{"message", "errorCode"}]: 401 INVALID_SESSION_ID for a token it did
not issue (or one `expire_sessions()` ended), 403 REQUEST_LIMIT_EXCEEDED and 503 SERVER_UNAVAILABLE (`throttle()`),
500 UNKNOWN_EXCEPTION (`fail()`). `delete()` and `edit()` change records "on Salesforce's side". Every request
is kept in `received`.

simple-salesforce builds https:// URLs only, so the server speaks TLS with a one-day self-signed certificate for
"localhost"; point SALESFORCE_CA_BUNDLE at `cert_path`.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CLIENT_ID = "3MVG9A2kN3Bn17hs8MIaQx1voVGy662rXlC37svtmLmt6wO_iik8Hnk3DlcYjKRvzVNGWLFlGRH1ryHwS217h"
CLIENT_SECRET = "B2B8A4D5E6F70812A3C4B5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F80912"
ORG_ID = "00D5g000004Ea8qEAC"
API_USER_ID = "0055g00000G2xNqAAJ"
# The first LastModifiedDate the org hands out; each write moves the clock on one second.
CLOCK_START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.000+0000"
# Records a query batch holds (Salesforce: 2,000; small here so paging shows).
DEFAULT_BATCH = 2
COLLECTION_LIMIT = 200

# The Lead fields the stand-in org has: (name, label, type, createable/updateable). Id, Name and the audit fields are
# read-only, as in Salesforce; LinkedIn__c is a custom field this org added.
LEAD_FIELDS = [
    ("Id", "Lead ID", "id", False),
    ("IsDeleted", "Deleted", "boolean", False),
    ("Name", "Full Name", "string", False),
    ("FirstName", "First Name", "string", True),
    ("LastName", "Last Name", "string", True),
    ("Title", "Title", "string", True),
    ("Company", "Company", "string", True),
    ("Email", "Email", "email", True),
    ("Phone", "Phone", "phone", True),
    ("Website", "Website", "url", True),
    ("LeadSource", "Lead Source", "picklist", True),
    ("Status", "Status", "picklist", True),
    ("Rating", "Rating", "picklist", True),
    ("NumberOfEmployees", "Employees", "int", True),
    ("OwnerId", "Owner ID", "reference", True),
    ("LinkedIn__c", "LinkedIn", "url", True),
    ("CreatedDate", "Created Date", "datetime", False),
    ("LastModifiedDate", "Last Modified Date", "datetime", False),
    ("SystemModstamp", "System Modstamp", "datetime", False),
]
WRITABLE = {name for name, _, _, writable in LEAD_FIELDS if writable}
READABLE = {name for name, *_ in LEAD_FIELDS}
REQUIRED = ("LastName", "Company")
# Status is a restricted picklist in this org, as it is by default.
STATUS_VALUES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted")
ID_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce id: 15 case-sensitive characters and the three that encode their capitals."""
    short = f"{prefix}5g0000{number:06d}"
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(short[start : start + 5]) if char.isupper())
        suffix += ID_CHECKSUM_ALPHABET[bits]
    return short + suffix


def sf_errors(code: str, message: str, status: int) -> Response:
    body = json.dumps([{"message": message, "errorCode": code}])
    return Response(body, status=status, content_type="application/json")


def self_signed_certificate_write(host: str, cert_path: Path, key_path: Path) -> None:
    """A one-day self-signed certificate naming `host`, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: object = None


@dataclass
class _Trouble:
    """Answers waiting to be given instead of the real one, oldest first."""

    queue: list[Response] = field(default_factory=list)


class SalesforceStandIn:
    """One org's Leads behind Salesforce's REST API, on https://localhost:<port>."""

    def __init__(self, server: HTTPServer, cert_path: Path, *, version: str = "62.0"):
        self.server = server
        self.cert_path = cert_path
        self.version = version
        self.batch_size = DEFAULT_BATCH
        # An active duplicate rule that blocks a second Lead with a known email (DUPLICATES_DETECTED).
        self.duplicate_rule = False
        self.records: dict[str, dict] = {}
        self.deleted: set[str] = set()
        self.received: list[Received] = []
        self._ids = (salesforce_id("00Q", n) for n in itertools.count(1))
        self._tokens = (f"{ORG_ID}!AQ4AQ{n:04d}.session.token" for n in itertools.count(1))
        self.valid_tokens: set[str] = set()
        self._clock = CLOCK_START
        self._cursors: dict[str, list[dict]] = {}
        self._trouble = _Trouble()
        self._lock = threading.Lock()
        self._scratch: tempfile.TemporaryDirectory | None = None
        server.expect_request(re.compile(r"/services/.*")).respond_with_handler(self._respond)

    @classmethod
    def started(cls, directory: Path | None = None, *, version: str = "62.0") -> SalesforceStandIn:
        """Serving on a free port; the certificate goes in `directory`, else in a folder removed at stop()."""
        scratch = None if directory else tempfile.TemporaryDirectory(prefix="salesforce-stand-in-")
        directory = directory or Path(scratch.name)
        cert_path, key_path = directory / "salesforce-cert.pem", directory / "salesforce-key.pem"
        self_signed_certificate_write("localhost", cert_path, key_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        server = HTTPServer(host="localhost", port=0, ssl_context=context)
        server.start()
        stand_in = cls(server, cert_path, version=version)
        stand_in._scratch = scratch
        return stand_in

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()
        if self._scratch is not None:
            self._scratch.cleanup()

    @property
    def settings(self) -> dict[str, str]:
        """What a connection to this org needs in settings: the login URL, the connected app, the CA to trust."""
        return {
            "SALESFORCE_BASE_URL": self.base_url,
            "SALESFORCE_CLIENT_ID": CLIENT_ID,
            "SALESFORCE_CLIENT_SECRET": CLIENT_SECRET,
            "SALESFORCE_CA_BUNDLE": str(self.cert_path),
            "SALESFORCE_API_VERSION": self.version,
            "SALESFORCE_SOBJECT": "Lead",
        }

    @property
    def base_url(self) -> str:
        """The login URL and the instance URL alike: https://localhost:<port>."""
        return f"https://localhost:{self.server.port}"

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.version}"

    # Switches for tests.

    def issue_token(self) -> str:
        """An access token the org accepts, as if from an earlier OAuth flow."""
        token = next(self._tokens)
        self.valid_tokens.add(token)
        return token

    def expire_sessions(self) -> None:
        """Every token issued so far stops working (401 INVALID_SESSION_ID)."""
        self.valid_tokens.clear()

    def throttle(self, times: int = 1, *, code: str = "REQUEST_LIMIT_EXCEEDED") -> None:
        """The next `times` API calls hit Salesforce's limits: 403 REQUEST_LIMIT_EXCEEDED, or 503 when `code` is
        SERVER_UNAVAILABLE."""
        for _ in range(times):
            if code == "SERVER_UNAVAILABLE":
                answer = sf_errors(code, "Server Unavailable: the server is temporarily overloaded.", 503)
            else:
                answer = sf_errors(code, "TotalRequests Limit exceeded.", 403)
            self._trouble.queue.append(answer)

    def fail(self, times: int = 1, *, status: int = 500) -> None:
        """The next `times` API calls fail inside Salesforce."""
        message = "An unexpected error occurred. Please include this ErrorId if you contact support: 1702-4183 (-8641)"
        self._trouble.queue.extend(sf_errors("UNKNOWN_EXCEPTION", message, status) for _ in range(times))

    def add(self, *, at: datetime.datetime | None = None, **fields: str) -> str:
        """A Lead created in Salesforce itself (at `at`, else the org's clock); its id."""
        with self._lock:
            return self._insert(fields, at=at)

    def delete(self, record_id: str) -> None:
        """The record is deleted on Salesforce's side (to the recycle bin: queries no longer see it)."""
        with self._lock:
            self.deleted.add(record_id)
            self.records.pop(record_id)

    def edit(self, record_id: str, *, at: datetime.datetime | None = None, **fields: str) -> str:
        """Someone edits the record in Salesforce (at `at`, else the org's clock); its new LastModifiedDate."""
        with self._lock:
            record = self.records[record_id]
            record.update(fields)
            return self._touch(record, at=at)

    # This org's custom LinkedIn field.
    custom_mapping = {"linkedin_url": "LinkedIn__c"}
    # Salesforce says "REQUEST_LIMIT_EXCEEDED" without a Retry-After: the client's own backoff decides the waits.
    says_retry_after = False

    def rate_limits(self, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls hit the org's API limits (Salesforce names no wait: `retry_after` is unused)."""
        self.throttle(times)

    def server_error(self, *, times: int = 1) -> None:
        self.fail(times)

    def clear_failures(self) -> None:
        with self._lock:
            self._trouble.queue.clear()

    def writes(self) -> int:
        """Calls that created or changed records (sObject Collections POSTs and PATCHes)."""
        return sum(1 for request in self.requests_to("/composite/sobjects") if request.method in ("POST", "PATCH"))

    def requests_to(self, path_end: str) -> list[Received]:
        return [request for request in self.received if request.path.rstrip("/").endswith(path_end)]

    # The server.

    def _respond(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        parsed = None
        if body and request.mimetype == "application/json":
            parsed = json.loads(body)
        elif body:
            parsed = {key: values[0] for key, values in parse_qs(body).items()}
        query = parse_qs(request.query_string.decode())
        self.received.append(Received(request.method, request.path, query, dict(request.headers), parsed))
        with self._lock:
            if request.path == "/services/oauth2/token" and request.method == "POST":
                return self._token(parsed or {})
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
                return sf_errors("INVALID_SESSION_ID", "Session expired or invalid", 401)
            if self._trouble.queue:
                return self._trouble.queue.pop(0)
            # simple-salesforce asks for /query/?q=..., as Salesforce allows.
            route = request.path.removeprefix(self.data_path).rstrip("/")
            if route == "/sobjects/Lead/describe" and request.method == "GET":
                return self._json(self._describe())
            if route == "/query" and request.method == "GET":
                return self._query(request.args.get("q", ""))
            if route.startswith("/query/") and request.method == "GET":
                return self._query_more(route.removeprefix("/query/"))
            if route == "/composite/sobjects" and request.method in ("POST", "PATCH"):
                return self._collection(request.method, parsed or {})
            return sf_errors("NOT_FOUND", "The requested resource does not exist", 404)

    def _json(self, payload: object, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, content_type="application/json;charset=UTF-8")

    def _token(self, form: dict) -> Response:
        if form.get("grant_type") != "client_credentials":
            return self._json({"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._json({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        token = next(self._tokens)
        self.valid_tokens.add(token)
        return self._json(
            {
                "access_token": token,
                "signature": "m7jB4b0ZQ3rQ1z3Lb0S6Yk8vN2cP5wX9hT1uE4rA6dE=",
                "scope": "api",
                "instance_url": self.base_url,
                "id": f"https://login.salesforce.com/id/{ORG_ID}/{API_USER_ID}",
                "token_type": "Bearer",
                "issued_at": "1767603600000",
            }
        )

    def _describe(self) -> dict:
        return {
            "name": "Lead",
            "label": "Lead",
            "keyPrefix": "00Q",
            "custom": False,
            "createable": True,
            "updateable": True,
            "fields": [
                {
                    "name": name,
                    "label": label,
                    "type": kind,
                    "createable": writable,
                    "updateable": writable,
                    "nillable": name not in REQUIRED and writable,
                    "custom": name.endswith("__c"),
                    "length": 255 if kind in ("string", "email", "url", "phone", "picklist") else 0,
                }
                for name, label, kind, writable in LEAD_FIELDS
            ],
            "urls": {"describe": f"{self.data_path}/sobjects/Lead/describe"},
        }

    # SOQL: the few forms the client sends.

    def _query(self, soql: str) -> Response:
        match = re.fullmatch(
            r"SELECT (?P<columns>.+?) FROM (?P<object>\w+)(?: WHERE (?P<where>.+?))?(?: ORDER BY (?P<order>.+?))?",
            soql.strip(),
        )
        if not match or match["object"] != "Lead":
            return sf_errors("MALFORMED_QUERY", f"unexpected token: {soql[:40]}", 400)
        columns = [column.strip() for column in match["columns"].split(",")]
        unknown = [column for column in columns if column not in READABLE]
        if unknown:
            message = f"\n{soql[:60]}\n^\nERROR at Row:1:Column:8\nNo such column '{unknown[0]}' on entity 'Lead'."
            return sf_errors("INVALID_FIELD", message, 400)
        rows = [record for record in self.records.values() if _matches(record, match["where"])]
        if match["order"]:
            keys = [key.strip() for key in match["order"].split(",")]
            rows.sort(key=lambda record: tuple(record.get(key) or "" for key in keys))
        selected = [
            {"attributes": self._attributes(row["Id"]), **{name: row.get(name) for name in columns}} for row in rows
        ]
        locator = f"01g5g00000{len(self._cursors):08d}"
        self._cursors[locator] = selected
        return self._page(locator, 0)

    def _query_more(self, locator_and_offset: str) -> Response:
        locator, _, offset = locator_and_offset.rpartition("-")
        if locator not in self._cursors or not offset.isdigit():
            return sf_errors("INVALID_QUERY_LOCATOR", "invalid query locator", 400)
        return self._page(locator, int(offset))

    def _page(self, locator: str, offset: int) -> Response:
        rows = self._cursors[locator]
        batch = rows[offset : offset + self.batch_size]
        answer = {"totalSize": len(rows), "done": offset + self.batch_size >= len(rows), "records": batch}
        if not answer["done"]:
            answer["nextRecordsUrl"] = f"{self.data_path}/query/{locator}-{offset + self.batch_size}"
        return self._json(answer)

    # sObject Collections.

    def _collection(self, method: str, body: dict) -> Response:
        records = body.get("records") or []
        if len(records) > COLLECTION_LIMIT:
            return sf_errors("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records", 400)
        for record in records:
            if (record.get("attributes") or {}).get("type") != "Lead":
                return sf_errors("INVALID_TYPE", "sObject type must be specified in attributes", 400)
            unknown = [name for name in record if name not in WRITABLE | {"attributes", "id"}]
            if unknown:
                return sf_errors("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type Lead", 400)
        if method == "POST":
            return self._json([self._create(record) for record in records])
        return self._json([self._update(record) for record in records])

    def _create(self, record: dict) -> dict:
        if "id" in record:
            return _failure(None, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        missing = [name for name in REQUIRED if not record.get(name)]
        if missing:
            return _failure(None, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
        refused = _bad_picklist(record)
        if refused:
            return refused
        email = (record.get("Email") or "").lower()
        if self.duplicate_rule and any((row.get("Email") or "").lower() == email for row in self.records.values()):
            return _failure(None, "DUPLICATES_DETECTED", "Use one of these records?", [])
        fields = {name: value for name, value in record.items() if name != "attributes"}
        return {"id": self._insert(fields), "success": True, "errors": []}

    def _update(self, record: dict) -> dict:
        record_id = record.get("id") or ""
        stored = self.records.get(record_id) or next(
            (row for key, row in self.records.items() if key[:15] == record_id[:15] and record_id), None
        )
        if stored is None:
            return _failure(record_id, "ENTITY_IS_DELETED", "entity is deleted", [])
        changes = {name: value for name, value in record.items() if name not in ("attributes", "id")}
        cleared = [name for name in REQUIRED if name in changes and not changes[name]]
        if cleared:
            return _failure(record_id, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {cleared}", cleared)
        refused = _bad_picklist(record, record_id)
        if refused:
            return refused
        stored.update(changes)
        self._touch(stored)
        return {"id": stored["Id"], "success": True, "errors": []}

    def _insert(self, fields: dict, *, at: datetime.datetime | None = None) -> str:
        record_id = next(self._ids)
        record = {"Id": record_id, "IsDeleted": False, "OwnerId": API_USER_ID, "Status": "Open - Not Contacted"}
        record.update(fields)
        record["Name"] = " ".join(part for part in (record.get("FirstName"), record.get("LastName")) if part)
        record["CreatedDate"] = self._touch(record, at=at)
        self.records[record_id] = record
        return record_id

    def _touch(self, record: dict, *, at: datetime.datetime | None = None) -> str:
        """Stamp the record one second after the last write, or at `at` (the clock never runs backwards)."""
        moment = at or self._clock + datetime.timedelta(seconds=1)
        self._clock = max(self._clock, moment)
        record["LastModifiedDate"] = record["SystemModstamp"] = moment.strftime(DATE_FORMAT)
        return record["LastModifiedDate"]

    def _attributes(self, record_id: str) -> dict:
        return {"type": "Lead", "url": f"{self.data_path}/sobjects/Lead/{record_id}"}


def _failure(record_id: str | None, code: str, message: str, fields: list[str]) -> dict:
    result = {"success": False, "errors": [{"statusCode": code, "message": message, "fields": fields}]}
    if record_id:
        result["id"] = record_id
    return result


def _bad_picklist(record: dict, record_id: str | None = None) -> dict | None:
    status = record.get("Status")
    if status is not None and status not in STATUS_VALUES:
        message = f"Status: bad value for restricted picklist field: {status}"
        return _failure(record_id, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, ["Status"])
    return None


def _soql_strings(text: str) -> list[str]:
    """The quoted values of a SOQL IN list, unescaped."""
    return [re.sub(r"\\(.)", r"\1", value) for value in re.findall(r"'((?:[^'\\]|\\.)*)'", text)]


def _matches(record: dict, where: str | None) -> bool:
    if not where:
        return True
    listed = re.fullmatch(r"(\w+) IN \((.*)\)", where)
    if listed:
        values = _soql_strings(listed[2])
        value = record.get(listed[1]) or ""
        if listed[1] == "Id":
            return any(value[:15] == wanted[:15] for wanted in values)
        # SOQL compares text without regard to case.
        return value.lower() in {wanted.lower() for wanted in values}
    after = re.fullmatch(r"LastModifiedDate > (\S+)", where)
    if after:
        since = datetime.datetime.fromisoformat(after[1].replace("Z", "+00:00"))
        return datetime.datetime.strptime(record["LastModifiedDate"], "%Y-%m-%dT%H:%M:%S.%f%z") > since
    raise ValueError(f"The stand-in does not read this WHERE clause: {where}")
