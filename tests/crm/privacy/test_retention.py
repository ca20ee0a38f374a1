"""Retention: contacts never engaged are reported by the first run after the setting is turned on, erased by the
next, and those who engaged in any way are kept."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.models import Activity, Lead, RetentionReport, Stage
from crm.privacy.suppression import person_suppressed
from leadflow.schedules import SCHEDULES
from tests.factories import LeadFactory, NoteFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    output = io.StringIO()
    call_command("privacy_retention", *args, stdout=output)
    return output.getvalue()


@pytest.fixture
def people(manager_mia) -> dict[str, Lead]:
    long_ago = timezone.now() - timedelta(days=300)
    second_stage = Stage.objects.filter(pipeline__is_default=True).order_by("position")[1]
    leads = {
        "silent": LeadFactory(email="silent@example.org", created_at=long_ago),
        "recent": LeadFactory(created_at=timezone.now() - timedelta(days=20)),
        "noted": LeadFactory(created_at=long_ago),
        "replied": LeadFactory(created_at=long_ago),
        "moved": LeadFactory(created_at=long_ago, stage=second_stage),
        "a lead": LeadFactory(created_at=long_ago, lifecycle=Lead.Lifecycle.LEAD),
    }
    NoteFactory(lead=leads["noted"], author=manager_mia)
    Activity.objects.create(lead=leads["replied"], kind=Activity.Kind.REPLIED, summary="Replied")
    return leads


def test_it_is_off_by_default(people):
    assert _run().strip() == "Retention is off (PRIVACY_RETENTION_MONTHS=0): nothing to do."
    assert not RetentionReport.objects.exists()


def test_the_first_run_reports_and_a_later_run_erases_only_the_never_engaged(people, settings):
    settings.PRIVACY_RETENTION_MONTHS = 6
    oldest = people["silent"].created_at

    first = _run()
    assert first.splitlines() == [
        f"1 contact never engaged after 6 months, the oldest from {oldest:%Y-%m-%d}.",
        "First run since the setting was turned on: reported only; a later run erases.",
        "Nothing erased (report only).",
    ]
    assert Lead.objects.count() == 6

    assert _run("--dry-run").splitlines()[-1] == "Nothing erased (report only)."
    assert Lead.objects.count() == 6

    assert _run().splitlines()[-1] == "Erased 1 lead."
    assert not Lead.objects.filter(pk=people["silent"].pk).exists()
    assert Lead.objects.count() == 5
    assert person_suppressed(emails=["silent@example.org"])
    assert list(RetentionReport.objects.order_by("pk").values_list("dry_run", "found", "erased")) == [
        (True, 1, 0),
        (True, 1, 0),
        (False, 1, 1),
    ]


def test_a_person_who_engaged_on_another_lead_is_kept(people, settings):
    settings.PRIVACY_RETENTION_MONTHS = 6
    people["replied"].email = "silent@example.org"
    people["replied"].save(update_fields=["email"])
    _run()
    assert _run().splitlines()[-1] == "Erased 0 leads; 1 kept (the same person engaged on another lead)."
    assert Lead.objects.filter(pk=people["silent"].pk).exists()


def test_it_runs_daily():
    assert SCHEDULES["erase contacts never engaged"]["func"] == "crm.privacy.retention.retention_scheduled"
