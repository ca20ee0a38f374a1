"""The export of a person: one zip holding person.json and a CSV per kind, written as a stream, never whole."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
import zipfile

import pytest
from django.core.management import call_command

from crm.models import Activity
from crm.privacy.export import person_export
from leadflow.audit import AuditEvent
from tests.crm.privacy.conftest import EMAIL, FIRST, PHONE

pytestmark = pytest.mark.django_db

KINDS = [
    "leads",
    "custom_fields",
    "other_contacts",
    "notes",
    "tasks",
    "timeline",
    "list_memberships",
    "import_rows",
    "messages",
    "message_events",
    "conversations",
    "conversation_messages",
    "drafts",
    "enrichment_values",
    "ai_analyses",
    "ad_form_deliveries",
    "unmatched_emails",
    "email_suppressions",
]


def _csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.TextIOWrapper(archive.open(f"{name}.csv"), encoding="utf-8")))


def test_the_zip_holds_every_kind_as_json_and_csv(zebedee, manager_mia):
    out = io.BytesIO()
    person, counts = person_export(email=EMAIL.upper(), out=out, actor=manager_mia)

    archive = zipfile.ZipFile(out)
    document = json.loads(archive.read("person.json"))
    assert person.lead_ids == [zebedee.pk]
    for kind in KINDS:
        assert counts[kind] > 0, kind
        assert len(document["data"][kind]) == counts[kind] == len(_csv_rows(archive, kind)), kind
    assert document["emails"] == [EMAIL.lower(), "zq@quortle.example"]
    assert document["data"]["leads"][0]["first_name"] == FIRST
    assert {row["value"] for row in _csv_rows(archive, "other_contacts")} == {"zq@quortle.example"}
    assert {row["name"] for row in _csv_rows(archive, "custom_fields")} == {"Favourite colour"}
    assert document["data"]["enrichment_values"][0]["source"] == "hunter"
    # The rows of both stored files that brought them (and never the other person's row).
    rows = document["data"]["import_rows"]
    assert [(row["file"], row["line"]) for row in rows] == [("people.csv", 3), ("fair.csv", 2)]
    assert all(EMAIL in row["cells"] for row in rows)
    # The audit event names them by hash and counts only.
    event = AuditEvent.objects.get(action="person.exported")
    assert event.actor == manager_mia and event.details["rows"]["notes"] == 1
    assert FIRST.lower() not in json.dumps(event.details).lower() and "@" not in json.dumps(event.details)


class CountingStream(io.RawIOBase):
    """A stream that keeps nothing: it counts what is written to it, and in how many writes."""

    def __init__(self) -> None:
        self.writes, self.size, self.largest = 0, 0, 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes += 1
        self.size += len(data)
        self.largest = max(self.largest, len(data))
        return len(data)


def test_a_large_person_is_streamed_not_built_in_memory(zebedee):
    rows = [
        Activity(lead=zebedee, kind="note", summary=f"Called about order {n:06d}", data={"n": n}) for n in range(40_000)
    ]
    Activity.objects.bulk_create(rows, batch_size=5000)
    del rows
    out = CountingStream()

    tracemalloc.start()
    try:
        _person, counts = person_export(email=EMAIL, out=out)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counts["timeline"] > 40_000
    # Written as it was read: many small writes to a stream that cannot seek, nothing like the whole at once.
    assert out.writes > 100 and out.largest < 1_000_000 and out.size > 400_000
    assert peak < 20_000_000


def test_the_command_writes_the_zip_and_says_what_it_holds(zebedee, tmp_path):
    target = tmp_path / "zebedee.zip"
    output = io.StringIO()
    call_command("privacy", "export", "--phone", PHONE, "--out", str(target), stdout=output)
    assert f"Wrote {target}: leads 1" in output.getvalue()
    assert "person.json" in zipfile.ZipFile(target).namelist()


def test_an_unknown_person_gets_an_empty_export_and_a_plain_answer(db, tmp_path):
    output = io.StringIO()
    call_command("privacy", "export", "nobody@example.org", "--out", str(tmp_path / "x.zip"), stdout=output)
    assert output.getvalue().startswith("No data held for nobody@example.org")
