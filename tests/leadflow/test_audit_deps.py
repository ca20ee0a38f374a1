"""bin/audit-deps: a known vulnerability fails, an accepted one passes until its date, an expired acceptance fails,
and packages the service could not check are reported loudly without failing.

tests/data/pip_audit/*.json are pip-audit's own `-f json` reports: `not_audited.json` from this machine (PyPI's
per-version API answers 404, so every package is skipped; three kept), `vulnerable.json` from pip-audit run
against the OSV stand-in below.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from werkzeug import Request, Response

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "pip_audit"
LOCK = DATA / "requirements.lock"  # django 5.2.19 and sqlparse 0.6.1, as locked, with their hashes

# A script, not a package: loaded from its file (registered first, as dataclasses look their module up).
_spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "bin" / "audit_deps.py")
audit_deps = sys.modules.setdefault("audit_deps", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(audit_deps)

TODAY = date(2026, 12, 3)

# An OSV record (https://ossf.github.io/osv-schema/) as api.osv.dev's /v1/query returns it.
DJANGO_ADVISORY = {
    "id": "GHSA-test-0001-django",
    "summary": "SQL injection in QuerySet.values()",
    "aliases": ["CVE-2026-0001", "PYSEC-2026-1"],
    "modified": "2026-11-01T00:00:00Z",
    "published": "2026-10-01T00:00:00Z",
    "schema_version": "1.6.0",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "5.2"}, {"fixed": "5.2.20"}]}],
        }
    ],
}


@pytest.fixture
def osv(httpserver, monkeypatch):
    """A local OSV service that knows one advisory, for django."""

    def query(request: Request) -> Response:
        asked = json.loads(request.data)
        found = {"vulns": [DJANGO_ADVISORY]} if asked["package"]["name"] == "django" else {}
        return Response(json.dumps(found), content_type="application/json")

    httpserver.expect_request("/v1/query", method="POST").respond_with_handler(query)
    monkeypatch.setenv("AUDIT_OSV_URL", httpserver.url_for("/v1/query"))
    return httpserver


def accept_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / ".pip-audit-accept.toml"
    path.write_text(body)
    return path


def test_a_known_vulnerability_fails_with_its_ids_and_fix(osv, tmp_path, capsys):
    status = audit_deps.main([str(LOCK), "--accept", str(tmp_path / "none.toml")])

    out = capsys.readouterr().out
    assert status == 1
    assert "VULNERABLE: django 5.2.19 in requirements.lock: PYSEC-2026-1" in out
    assert "GHSA-test-0001-django" in out
    assert "fixed in 5.2.20" in out
    assert "Dependency audit FAILED: 1 known vulnerabilities, 0 expired acceptances." in out


def test_an_accepted_vulnerability_passes_until_its_date(osv, tmp_path, capsys):
    accepted = accept_file(
        tmp_path,
        '[[accept]]\nid = "GHSA-test-0001-django"\nreason = "We never call values() on user input."\n'
        "expires = 2099-12-31\n",
    )

    status = audit_deps.main([str(LOCK), "--accept", str(accepted)])

    out = capsys.readouterr().out
    assert status == 0
    assert "accepted until 2099-12-31: GHSA-test-0001-django (We never call values() on user input.)" in out
    assert "Dependency audit: no known vulnerabilities found." in out


def test_an_expired_acceptance_fails_and_the_vulnerability_shows_again(osv, tmp_path, capsys):
    expired = accept_file(
        tmp_path, '[[accept]]\nid = "CVE-2026-0001"\nreason = "Waiting for 5.2.20."\nexpires = 2026-01-31\n'
    )

    status = audit_deps.main([str(LOCK), "--accept", str(expired)])

    out = capsys.readouterr().out
    assert status == 1
    assert (
        "EXPIRED ACCEPTANCE: CVE-2026-0001 was accepted until 2026-01-31 (Waiting for 5.2.20.): upgrade the package, "
        "or renew the acceptance in .pip-audit-accept.toml with a new reason and date." in out
    )
    assert "VULNERABLE: django 5.2.19" in out


def test_an_unreachable_service_says_not_audited_loudly_but_does_not_fail(monkeypatch, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AUDIT_OSV_URL", f"http://localhost:{port}/v1/query")

    done = subprocess.run(
        [ROOT / "bin" / "audit-deps", str(LOCK), "--accept", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert (
        "!!! NOT AUDITED: the vulnerability service could not be reached for 2 packages of requirements.lock"
        in done.stdout
    )
    assert "!!!   django: the service did not answer" in done.stdout
    assert "but NOT every package was audited" in done.stdout


def test_a_report_of_skipped_packages_warns_without_failing():
    audit = audit_deps.report_read("requirements.lock", (DATA / "not_audited.json").read_text())

    status, lines = audit_deps.verdict([audit], [], [])

    assert status == 0
    assert lines[0].startswith(
        "!!! NOT AUDITED: the vulnerability service could not be reached for 3 packages of requirements.lock"
    )
    assert "!!!   aiohttp: Dependency not found on PyPI and could not be audited: aiohttp (3.14.5)" in lines


def test_a_report_with_a_vulnerability_fails_even_when_other_packages_were_not_audited():
    found = audit_deps.report_read("requirements-test.lock", (DATA / "vulnerable.json").read_text())
    skipped = audit_deps.report_read("requirements.lock", (DATA / "not_audited.json").read_text())

    status, lines = audit_deps.verdict([skipped, found], [], [])

    assert status == 1
    assert found.findings == [
        audit_deps.Finding(
            package="django",
            version="5.2.19",
            id="PYSEC-2026-1",
            aliases=("CVE-2026-0001", "GHSA-test-0001-django"),
            fix_versions=("5.2.20",),
            description="SQL injection in QuerySet.values()",
        )
    ]
    assert lines[-1] == "Dependency audit FAILED: 1 known vulnerabilities, 0 expired acceptances."


def test_acceptances_last_through_their_expiry_day():
    accepted, expired = audit_deps.acceptances_read(
        '[[accept]]\nid = "A"\nreason = "r"\nexpires = 2026-12-03\n'
        '[[accept]]\nid = "B"\nreason = "r"\nexpires = 2026-12-02\n',
        today=TODAY,
    )

    assert [a.id for a in accepted] == ["A"]
    assert [a.id for a in expired] == ["B"]


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('id = "A"\nexpires = 2027-01-01', "acceptance 1: needs an `id` and a `reason`"),
        ('reason = "r"\nexpires = 2027-01-01', "acceptance 1: needs an `id` and a `reason`"),
        ('id = "A"\nreason = "r"', "A: `expires` must be a date such as 2027-01-31"),
        ('id = "A"\nreason = "r"\nexpires = "2027-01-01"', "A: `expires` must be a date"),
        ('id = "A"\nreason = "r"\nexpires = 2027-01-01T10:00:00', "A: `expires` must be a date"),
    ],
)
def test_an_acceptance_without_a_reason_or_a_date_is_refused(entry, complaint):
    with pytest.raises(audit_deps.AuditError, match=complaint):
        audit_deps.acceptances_read(f"[[accept]]\n{entry}\n", today=TODAY)
