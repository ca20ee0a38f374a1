"""The suppression list: addresses (or whole "@domain"s) that get no sequence email, checked at send time. Written by
unsubscribes, hard bounces, repeated soft bounces and complaints, and by staff (by hand or from a CSV file)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from crm.exporting import CSV_BOM, Echo
from crm.models import User
from crm.privacy.suppression import Identity, people_suppressed
from crm.resources import formula_neutralise
from crm.services.do_not_call import ListUploadReport
from leadflow.roles import can_reassign
from outreach.models import Message, Suppression

# The reason given for an address erased at its owner's request.
ERASED = "erased at their request"
EXPORT_COLUMNS = ["email", "reason", "note", "added_by", "created_at"]


def suppression_entry(email: str) -> str:
    """The list's form of an address or a "@domain": trimmed and lower-cased."""
    return email.strip().lower()


# Addresses looked up per query (SQLite allows 32,766 parameters in one).
LOOKUP_CHUNK = 10_000


def suppression_reasons(emails: Iterable[str]) -> dict[str, str]:
    """Why each of these addresses gets no sequence email (its own entry first, then its domain's, then the erased
    people's hashes), keyed by the list's form of the address; addresses the list does not name are left out. A
    query or two per LOOKUP_CHUNK."""
    addresses = sorted({suppression_entry(email) for email in emails if email and "@" in email})
    reasons: dict[str, str] = {}
    for start in range(0, len(addresses), LOOKUP_CHUNK):
        chunk = addresses[start : start + LOOKUP_CHUNK]
        keys = set(chunk) | {"@" + address.rpartition("@")[2] for address in chunk}
        listed = dict(Suppression.objects.filter(email__in=keys).values_list("email", "reason"))
        for address in chunk:
            reason = listed.get(address) or listed.get("@" + address.rpartition("@")[2])
            if reason:
                reasons[address] = reason
    # People erased at their request are kept only as a keyed hash of their address (crm.privacy).
    unlisted = [address for address in addresses if address not in reasons]
    for position in people_suppressed([Identity(emails=[address]) for address in unlisted]):
        reasons[unlisted[position]] = ERASED
    return reasons


def suppression_reason(email: str) -> str | None:
    """Why this address gets no sequence email, or None."""
    return suppression_reasons([email]).get(suppression_entry(email))


def suppress(
    email: str, reason: str, *, message: Message | None = None, note: str = "", user: User | None = None
) -> Suppression:
    """Put the address on the list; an address already there keeps its first entry (and reason)."""
    entry, _created = Suppression.objects.get_or_create(
        email=suppression_entry(email),
        defaults={"reason": reason, "message": message, "note": note[:300], "added_by": user},
    )
    return entry


def require_manage_suppression(actor: User) -> None:
    if not can_reassign(actor):
        raise PermissionDenied("Only managers and admins may change the suppression list.")


def entry_check(text: str) -> str:
    """The list entry for an address or "@domain" typed or imported, or a ValidationError saying what is wrong."""
    entry = suppression_entry(text)
    # A whole domain is checked as an address at it.
    validate_email("x" + entry if entry.startswith("@") else entry)
    return entry


def suppression_add(*, actor: User, email: str, note: str = "") -> Suppression:
    require_manage_suppression(actor)
    return suppress(entry_check(email), Suppression.Reason.MANUAL, note=note, user=actor)


def suppressions_remove(*, actor: User, ids: list[int]) -> int:
    """Take these entries off the list: the addresses may be mailed again."""
    require_manage_suppression(actor)
    deleted, _ = Suppression.objects.filter(pk__in=ids).delete()
    return deleted


def _email_column(header: list[str]) -> int | None:
    """The column of a header row named like an email, or None."""
    return next((index for index, cell in enumerate(header) if "mail" in cell.strip().lower()), None)


def _import_cells(file: io.TextIOBase) -> Iterator[tuple[int, str]]:
    """(line, cell) of each row's address; blank rows are skipped."""
    rows = csv.reader(file)
    column = 0
    for line, cells in enumerate(rows, 1):
        if line == 1 and "@" not in "".join(cells):
            # A header row: it names the column to read (one headed like "Email", else the first).
            column = _email_column(cells) or 0
            continue
        cell = cells[column].strip() if column < len(cells) else ""
        if any(value.strip() for value in cells):
            yield line, cell


def suppressions_import(*, actor: User, file: IO[bytes], name: str) -> ListUploadReport:
    """Add every address of a CSV file (IMPORTED, noted with the file's name); a line that holds none is reported
    with its number, the rest added."""
    require_manage_suppression(actor)
    report = ListUploadReport()
    entries: dict[str, None] = {}
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="replace", newline="")
    try:
        for line, cell in _import_cells(text):
            try:
                entries[entry_check(cell)] = None
            except ValidationError:
                report.problem(line, cell, "not an email address or @domain" if cell else "no address")
    except csv.Error as exc:
        raise ValidationError(f"This file could not be read as CSV: {exc}.") from exc
    finally:
        text.detach()  # the caller's file stays open: it closes it
    report.added, report.already_listed = _entries_add(entries, actor=actor, note=f"Imported {name}")
    return report


@transaction.atomic
def _entries_add(entries: Iterable[str], *, actor: User, note: str) -> tuple[int, int]:
    entries = list(entries)
    listed = set(Suppression.objects.filter(email__in=entries).values_list("email", flat=True))
    new = [
        Suppression(email=entry, reason=Suppression.Reason.IMPORTED, note=note[:300], added_by=actor)
        for entry in entries
        if entry not in listed
    ]
    Suppression.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new), len(listed)


def suppressions_csv(entries: QuerySet[Suppression]) -> Iterator[str]:
    """The list as CSV text, a line at a time, every cell safe from spreadsheet formulas."""
    writer = csv.writer(Echo())
    yield CSV_BOM + writer.writerow(EXPORT_COLUMNS)
    for entry in entries.select_related("added_by").iterator(chunk_size=2000):
        cells = [entry.email, entry.reason, entry.note, entry.added_by or "", entry.created_at.isoformat()]
        yield writer.writerow([formula_neutralise(str(cell)) for cell in cells])
