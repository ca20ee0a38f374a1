"""The demo shows the message writer: a draft job's drafts, an approved note and a draft a check holds back."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from outreach.models import Draft, DraftJob


def test_the_demo_writes_drafts_offline(db):
    out = StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)
    job = DraftJob.objects.get()
    assert job.status == "done" and job.breakdown == {"template": 12}  # none flagged: grounded in the facts
    assert Draft.objects.filter(status="approved", channel="linkedin").count() == 1
    held = Draft.objects.get(channel="whatsapp")
    assert [finding["check"] for finding in held.findings] == ["spam"]
    assert "outreach: 12 email drafts" in out.getvalue()
