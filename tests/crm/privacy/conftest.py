"""A person with data in every corner: Zebedee Quortlebank, brought in by a real CSV import, then worked on."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from crm.importing.jobs import import_job_create, import_job_run, import_job_start
from crm.models import DoNotCallNumber, ImportJob, Lead, WebhookEvent
from crm.services.work import note_create, task_create
from enrichment.models import FieldSource, LeadAnalysis, ProviderAnswer
from leadflow.models import AiCall
from outreach.models import Conversation, ConversationMessage, Draft, MessageEvent, Suppression, UnmatchedEmail
from scraping.models import Campaign, Source
from tests.factories import EnrollmentFactory, LeadListFactory, MessageFactory

EMAIL = "Zebedee.Quortlebank@Example.org"
PHONE = "+44 20 7946 0958"
E164 = "+442079460958"
FIRST, LAST = "Zebedee", "Quortlebank"
HEADER = ["First Name", "Last Name", "Email", "Company", "Mobile Phone", "Favourite colour"]
OTHER_ROW = ["Ann", "Other", "ann.other@example.net", "Acme", "+44 20 7946 0000", "blue"]


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """Stored files of this test alone: the erasure scan reads every file under MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def csv_file(folder: Path, rows: list[list[str]], name: str = "people.csv") -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def import_run(actor, path: Path) -> ImportJob:
    """A CSV through the real import service, as the cluster runs it."""
    job = import_job_create(actor=actor, path=path, original_name=path.name)
    job = import_job_start(job=job, actor=actor, mapping=job.mapping, on_duplicate="skip", queue=False)
    import_job_run(job.pk)
    job.refresh_from_db()
    return job


def person_row() -> list[str]:
    return [FIRST, LAST, EMAIL, "Quortle Works", PHONE, "green"]


@pytest.fixture
def zebedee(tmp_path, manager_mia) -> Lead:
    job = import_run(manager_mia, csv_file(tmp_path, [OTHER_ROW, person_row()]))
    assert job.rows_imported == 2
    lead = Lead.objects.get(email__iexact=EMAIL)
    # A second file with them again: their row is skipped as a duplicate and kept on the import's report.
    assert import_run(manager_mia, csv_file(tmp_path, [person_row()], name="fair.csv")).rows_skipped == 1
    lead.other_emails = ["zq@quortle.example"]
    lead.save(update_fields=["other_emails"])
    note_create(lead=lead, actor=manager_mia, body=f"Met {FIRST} at the fair; call on {PHONE}.")
    task_create(lead=lead, actor=manager_mia, title=f"Call {FIRST} {LAST}")
    LeadListFactory(name="Fair").memberships.create(lead=lead)
    message = MessageFactory(enrollment=EnrollmentFactory(lead=lead), subject=f"Hello {FIRST}")
    MessageEvent.objects.create(message=message, kind="opened", data={"recipient": EMAIL.lower()})
    thread = Conversation.objects.create(lead=lead, channel="email", peer=EMAIL.lower(), subject="Re: Hello")
    inbound = ConversationMessage(conversation=thread, direction="in", sender=EMAIL.lower(), text=f"Thanks, {FIRST}")
    inbound.raw.save("reply.eml", ContentFile(f"From: {FIRST} {LAST} <{EMAIL}>\r\n\r\nThanks".encode()), save=False)
    inbound.save()
    UnmatchedEmail.objects.create(via="imap", kind="message", sender=EMAIL.lower(), text=f"From {LAST}")
    answer = ProviderAnswer.objects.create(source="hunter", kind="verify", key=EMAIL.lower(), body={"email": EMAIL})
    FieldSource.objects.create(lead=lead, field="email", value=EMAIL.lower(), source="hunter", confidence=95,
                               answer=answer, detail={"sources": [f"https://quortle.example/team#{LAST}"]})  # fmt: skip
    LeadAnalysis.objects.create(lead=lead, summary=f"{FIRST} runs procurement")
    Draft.objects.create(lead=lead, channel="email", subject=f"For {FIRST}", body=f"Hi {FIRST},", source="template")
    AiCall.objects.create(purpose="draft", subject=f"lead:{lead.pk}", model="m", cache_key="k", status="ok",
                          answer={"body": f"Hi {FIRST}"})  # fmt: skip
    payload = {"lead": {"id": lead.pk, "email": EMAIL.lower()}, "at": str(timezone.now())}
    WebhookEvent.objects.create(message_id="msg_1", type="lead.created", payload=payload)
    directory = Source.objects.create(kind=Source.Kind.WEBSITE, name="Fair directory")
    run = Campaign.objects.create(name="Fair exhibitors", source=directory).runs.create(status="done")
    run.raw = {"items": [{"name": f"{FIRST} {LAST}", "email": EMAIL}, {"name": "Ann Other"}]}
    run.save(update_fields=["raw"])
    ads = Source.objects.create(kind=Source.Kind.META, name="Spring ads")
    ads.deliveries.create(platform_lead_id="m-1", status="saved", lead=lead, fields={"email": EMAIL, "full_name": LAST})
    Suppression.objects.create(email=EMAIL.lower(), reason="unsubscribed")
    DoNotCallNumber.objects.create(number=E164, origin="typed")
    return lead
