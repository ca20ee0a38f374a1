"""Audit the locked dependencies for known vulnerabilities with pip-audit (run by bin/audit-deps and by CI).

A vulnerability found fails. One accepted in .pip-audit-accept.toml (id, reason, expiry date) is ignored until
its date; an expired acceptance fails. A package the vulnerability service could not check is reported loudly as
NOT AUDITED but does not fail by itself: machines without access to the service would otherwise never go green.
Set AUDIT_OSV_URL to ask an OSV-compatible service (a mirror, or a stand-in in tests) instead of PyPI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = (ROOT / "requirements.lock", ROOT / "requirements-test.lock")
ACCEPT_FILE = ROOT / ".pip-audit-accept.toml"
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"
# What pip-audit dies with when the service cannot be reached at all: its advice after a connect timeout, or
# requests' error for a refused connection, which it does not catch (pip_audit/_cli.py, _service/osv.py).
UNREACHABLE_MARKERS = ("your network may be blocking this service", "requests.exceptions.ConnectionError")


class AuditError(Exception):
    """The audit could not run (a bad accept file, pip-audit failing for another reason than the network)."""


@dataclass(frozen=True)
class Acceptance:
    id: str
    reason: str
    expires: date


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str


@dataclass
class LockAudit:
    lock: str
    findings: list[Finding] = field(default_factory=list)
    # Packages the service could not check, with pip-audit's reason.
    unaudited: list[str] = field(default_factory=list)


def acceptances_read(text: str, *, today: date) -> tuple[list[Acceptance], list[Acceptance]]:
    """The accept file's entries as (still accepted, expired); an entry without an id, a reason or a date is an
    error, so that nothing is accepted by accident or for ever."""
    try:
        entries = tomllib.loads(text).get("accept", [])
    except tomllib.TOMLDecodeError as error:
        raise AuditError(f"{ACCEPT_FILE.name} is not valid TOML: {error}") from error
    acceptances = []
    for number, entry in enumerate(entries, start=1):
        vuln_id, reason, expires = entry.get("id"), entry.get("reason"), entry.get("expires")
        if not (isinstance(vuln_id, str) and vuln_id.strip() and isinstance(reason, str) and reason.strip()):
            raise AuditError(f"{ACCEPT_FILE.name}, acceptance {number}: needs an `id` and a `reason`.")
        # A TOML date is written bare (expires = 2027-01-31); a datetime or a string is not one.
        if not isinstance(expires, date) or isinstance(expires, datetime):
            raise AuditError(f"{ACCEPT_FILE.name}, {vuln_id}: `expires` must be a date such as 2027-01-31.")
        acceptances.append(Acceptance(id=vuln_id.strip(), reason=reason.strip(), expires=expires))
    return (
        [a for a in acceptances if a.expires >= today],
        [a for a in acceptances if a.expires < today],
    )


def report_read(lock: str, report: str) -> LockAudit:
    """pip-audit's JSON report (`-f json`): vulnerabilities it found, and packages it skipped."""
    audit = LockAudit(lock=lock)
    for dependency in json.loads(report)["dependencies"]:
        if "skip_reason" in dependency:
            audit.unaudited.append(f"{dependency['name']}: {dependency['skip_reason']}")
            continue
        audit.findings += [
            Finding(
                package=dependency["name"],
                version=dependency["version"],
                id=vuln["id"],
                aliases=tuple(vuln.get("aliases", ())),
                fix_versions=tuple(vuln.get("fix_versions", ())),
                description=vuln.get("description", ""),
            )
            for vuln in dependency["vulns"]
        ]
    return audit


def lock_audit(lock: Path, accepted: list[Acceptance]) -> LockAudit:
    """Run pip-audit on one lock file, ignoring the accepted vulnerabilities."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "report.json"
        command = [
            str(PIP_AUDIT),
            *("--requirement", str(lock), "--require-hashes", "--disable-pip"),
            *("--format", "json", "--output", str(output), "--progress-spinner", "off"),
            *(arg for acceptance in accepted for arg in ("--ignore-vuln", acceptance.id)),
        ]
        if os.environ.get("AUDIT_OSV_URL"):
            command += ["--vulnerability-service", "osv", "--osv-url", os.environ["AUDIT_OSV_URL"]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)  # noqa: S603
        # Exit 1 with a report means vulnerabilities were found; without one, pip-audit itself failed.
        if output.is_file() and output.stat().st_size:
            return report_read(lock.name, output.read_text())
    if any(marker in done.stderr for marker in UNREACHABLE_MARKERS):
        packages = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(), flags=re.MULTILINE)
        return LockAudit(lock=lock.name, unaudited=[f"{name}: the service did not answer" for name in packages])
    raise AuditError(f"pip-audit failed on {lock.name}:\n{done.stderr.strip()}")


def verdict(audits: list[LockAudit], accepted: list[Acceptance], expired: list[Acceptance]) -> tuple[int, list[str]]:
    """The exit status and what to print: vulnerabilities and expired acceptances fail; unaudited packages warn."""
    lines = []
    for audit in audits:
        if audit.unaudited:
            lines += [
                f"!!! NOT AUDITED: the vulnerability service could not be reached for {len(audit.unaudited)} "
                f"packages of {audit.lock}; they were not checked for vulnerabilities:",
                *(f"!!!   {reason}" for reason in audit.unaudited[:5]),
            ]
            if len(audit.unaudited) > 5:
                lines.append(f"!!!   … and {len(audit.unaudited) - 5} more")
    lines += [f"accepted until {a.expires}: {a.id} ({a.reason})" for a in accepted]
    findings = [(audit.lock, finding) for audit in audits for finding in audit.findings]
    for lock, finding in findings:
        fix = f"fixed in {', '.join(finding.fix_versions)}" if finding.fix_versions else "no fixed version yet"
        aliases = f" ({', '.join(finding.aliases)})" if finding.aliases else ""
        lines.append(
            f"VULNERABLE: {finding.package} {finding.version} in {lock}: {finding.id}{aliases}, {fix}. "
            f"{finding.description}"
        )
    lines += [
        f"EXPIRED ACCEPTANCE: {a.id} was accepted until {a.expires} ({a.reason}): upgrade the package, or renew the "
        f"acceptance in {ACCEPT_FILE.name} with a new reason and date."
        for a in expired
    ]
    failed = bool(findings or expired)
    if failed:
        lines.append(
            f"Dependency audit FAILED: {len(findings)} known vulnerabilities, {len(expired)} expired acceptances."
        )
    elif any(audit.unaudited for audit in audits):
        lines.append("Dependency audit: no known vulnerabilities found, but NOT every package was audited (above).")
    else:
        lines.append("Dependency audit: no known vulnerabilities found.")
    return (1 if failed else 0), lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="*", type=Path, default=list(LOCKS), help="Hashed requirement files.")
    parser.add_argument("--accept", type=Path, default=ACCEPT_FILE, help="The accept file (TOML).")
    args = parser.parse_args(argv)
    try:
        text = args.accept.read_text(encoding="utf-8") if args.accept.is_file() else ""
        accepted, expired = acceptances_read(text, today=datetime.now(UTC).date())
        audits = [lock_audit(lock, accepted) for lock in args.locks]
    except AuditError as error:
        print(f"Dependency audit FAILED: {error}", file=sys.stderr)
        return 1
    status, lines = verdict(audits, accepted, expired)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
