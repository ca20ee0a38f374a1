"""Erasing a person leaves nothing of them in any table or stored file but the keyed hash, and nothing brings them
back: a new import of their row and a new ad-form lead from them are skipped and reported as suppressed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from crm.models import ImportRejection, Lead, SuppressedPerson
from crm.privacy.erase import person_erase
from crm.privacy.suppression import SUPPRESSED
from leadflow.audit import AuditEvent
from scraping.capture import Destination, table_capture
from scraping.models import AdDelivery, Source
from tests.crm.privacy.conftest import E164, EMAIL, FIRST, LAST, OTHER_ROW, PHONE, csv_file, import_run, person_row
from tests.scraping.conftest import GOOGLE_KEY

pytestmark = pytest.mark.django_db(transaction=True)

# What would name them: their addresses, their number (as stored and as written), their names.
NEEDLES = [EMAIL.lower(), "zq@quortle.example", E164, "2079460958", "7946 0958", FIRST.lower(), LAST.lower()]


def _text(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace").lower()
    return str(value).lower()


def database_hits() -> list[str]:
    """Every table, every column of every row, searched for the needles (letter case ignored)."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the schema)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = _text(value) if value is not None else ""
                    hits += [f"{table}.{column}: {needle}" for needle in NEEDLES if needle in text]
    return hits


def media_hits() -> list[str]:
    hits = []
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            text = _text(path.read_bytes())
            hits += [f"{path}: {needle}" for needle in NEEDLES if needle in text]
    return hits


def test_an_erased_person_is_nowhere_but_the_hash_and_never_comes_back(
    zebedee, tmp_path, admin_ada, manager_mia, client
):
    Source.objects.create(
        kind=Source.Kind.GOOGLE_ADS, name="Forms", credentials=json.dumps({"webhook_key": GOOGLE_KEY})
    )
    before = {hit.split(".")[0] for hit in database_hits()}
    assert {"crm_lead", "outreach_message", "enrichment_fieldsource", "outreach_draft", "scraping_scraperun"} <= before
    assert {"scraping_addelivery", "leadflow_aicall", "crm_webhookevent", "outreach_unmatchedemail"} <= before
    assert media_hits()

    report = person_erase(email=EMAIL, phone=PHONE, actor=admin_ada, channel="command")

    assert report.found and report.counts["leads"] == 1
    assert report.not_erased  # backups and copies sent out are named
    assert database_hits() == []
    assert media_hits() == []
    assert Lead.objects.filter(email="ann.other@example.net").exists()  # the other row of the file is kept
    assert not ImportRejection.objects.exists()  # the skipped row of the second file, which named their lead
    kinds = sorted(SuppressedPerson.objects.values_list("kind", flat=True))
    assert kinds == ["email", "email", "phone"]  # both addresses and the number, as hashes only
    event = AuditEvent.objects.get(action="person.erased")
    assert event.details["digests"] == report.digests and event.details["rows"]["leads"] == 1

    # Imported again, in another letter case and a formatting of the number: skipped, reported as suppressed.
    again = person_row()
    again[2], again[4] = EMAIL.upper(), E164
    job = import_run(manager_mia, csv_file(tmp_path, [again, OTHER_ROW], name="again.csv"))
    assert job.rows_imported == 0 and job.rows_skipped == 2
    skipped = ImportRejection.objects.get(job=job, reason=SUPPRESSED)
    assert skipped.values == [] and skipped.kind == "skipped"
    assert not Lead.objects.filter(email__iexact=EMAIL).exists()

    # Captured by a run, by phone alone: the same.
    to = Destination(name="Directory run", source_tag="directory", owner=manager_mia, actor=manager_mia)
    (captured,) = table_capture(["Name", "Phone"], [[f"{FIRST} {LAST}", PHONE]], columns=None, to=to)
    assert captured.rows_imported == 0
    assert ImportRejection.objects.filter(job=captured, reason=SUPPRESSED).exists()

    # An ad form they fill in: refused, forgotten, the reason kept.
    payload = json.loads((Path(__file__).parents[2] / "fakes/google_ads/lead-production.json").read_text())
    payload["lead_id"] = "erased-person-form"
    payload["google_key"] = GOOGLE_KEY
    payload["user_column_data"] = [
        {"column_name": "Full Name", "string_value": f"{FIRST} {LAST}", "column_id": "FULL_NAME"},
        {"column_name": "User Email", "string_value": EMAIL, "column_id": "EMAIL"},
    ]
    answer = client.post("/hooks/google-ads/leadform/", data=json.dumps(payload), content_type="application/json")
    assert answer.status_code == 200
    delivery = AdDelivery.objects.get(platform_lead_id="erased-person-form")
    assert delivery.status == "failed" and delivery.error == SUPPRESSED
    assert delivery.fields == {} and delivery.payload == {} and delivery.lead is None
    assert not Lead.objects.filter(last_name=LAST).exists()
