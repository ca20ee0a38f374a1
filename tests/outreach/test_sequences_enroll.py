"""Enrolling leads: who is skipped and why, counted; ten thousand in a handful of queries; one enrollment paused,
resumed or removed."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Activity, Lead
from outreach.enrollments import enroll, enrollment_pause, enrollment_remove, enrollment_resume
from outreach.models import Enrollment, SequenceStep, Suppression
from outreach.sequences import StepSpec
from tests.factories import LeadFactory, default_stage
from tests.outreach.sequence_builders import email_step, sequence_made


def test_enroll_skips_and_counts_each_reason(manager_mia):
    sequence = sequence_made()
    good = LeadFactory(email="ann@prospect.example")
    LeadFactory(do_not_contact=True)
    LeadFactory(email="gone@prospect.example")
    LeadFactory(email="someone@blocked.example")
    LeadFactory(email="")
    already = LeadFactory()
    Suppression.objects.create(email="gone@prospect.example", reason=Suppression.Reason.UNSUBSCRIBED)
    Suppression.objects.create(email="@blocked.example", reason=Suppression.Reason.MANUAL)
    Enrollment.objects.create(sequence=sequence, lead=already)

    result = enroll(sequence, Lead.objects.all(), actor=manager_mia)

    assert result.enrolled == 1
    assert result.skipped == {"do_not_contact": 1, "suppressed": 2, "no_email": 1, "already_enrolled": 1}
    assert result.skipped_lines == [
        "1 marked do-not-contact", "2 on the suppression list", "1 no email address", "1 already in this sequence",
    ]  # fmt: skip
    enrollment = Enrollment.objects.get(lead=good)
    assert enrollment.status == Enrollment.Status.ACTIVE and enrollment.next_position == 1
    assert enrollment.enrolled_by == manager_mia
    assert good.activities.get(kind=Activity.Kind.SEQUENCE).summary == "Enrolled in sequence Intro"


def test_a_lead_without_email_is_enrolled_when_no_step_sends_email(manager_mia):
    task_only = sequence_made(steps=[StepSpec(kind=SequenceStep.Kind.TASK, task_title="Call")])
    lead = LeadFactory(email="")
    assert enroll(task_only, [lead], actor=manager_mia).enrolled == 1


def test_the_first_step_is_due_after_its_delay(manager_mia):
    sequence = sequence_made(steps=[email_step(delay_days=3)])
    lead = LeadFactory(time_zone="Europe/Berlin")
    before = timezone.now()
    enroll(sequence, [lead], actor=manager_mia)
    due = Enrollment.objects.get(lead=lead).due_at
    assert (
        datetime.timedelta(days=3) - datetime.timedelta(hours=1) <= due - before <= datetime.timedelta(days=3, hours=1)
    )


def test_a_rep_enrolls_only_their_own_leads(rep_alice, rep_bob):
    sequence = sequence_made()
    own = LeadFactory(owner=rep_alice)
    LeadFactory(owner=rep_bob)
    LeadFactory(owner=None)
    result = enroll(sequence, Lead.objects.all(), actor=rep_alice)
    assert result.enrolled == 1 and result.skipped == {"not_yours": 2}
    assert list(Enrollment.objects.values_list("lead", flat=True)) == [own.pk]


def test_a_viewer_cannot_enroll(viewer_vic):
    with pytest.raises(PermissionDenied):
        enroll(sequence_made(), [LeadFactory()], actor=viewer_vic)


def test_ten_thousand_leads_enroll_in_a_handful_of_queries(manager_mia):
    sequence = sequence_made()
    stage = default_stage()
    Lead.objects.bulk_create(Lead(email=f"p{n}@bulk.example", stage=stage) for n in range(10_000))
    with CaptureQueriesContext(connection) as queries:
        result = enroll(sequence, Lead.objects.all(), actor=manager_mia)
    assert result.enrolled == 10_000
    assert Enrollment.objects.count() == 10_000
    assert Activity.objects.filter(kind=Activity.Kind.SEQUENCE).count() == 10_000
    inserts = [query for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    # A fixed number of reads, and bulk INSERTs of many rows each (SQLite takes about 99 rows a statement, PostgreSQL
    # 1,000): a loop of saves would be 20,000 statements.
    assert len(queries) - len(inserts) <= 12
    assert len(inserts) <= 2 * 10_000 / 90


def test_pause_resume_and_remove_raise_the_version(rep_alice):
    sequence = sequence_made()
    enrollment = Enrollment.objects.create(sequence=sequence, lead=LeadFactory(owner=rep_alice))
    assert enrollment_pause(enrollment=enrollment, actor=rep_alice)
    assert (enrollment.status, enrollment.version) == (Enrollment.Status.PAUSED, 2)
    assert not enrollment_pause(enrollment=enrollment, actor=rep_alice)
    assert enrollment_resume(enrollment=enrollment, actor=rep_alice)
    assert (enrollment.status, enrollment.version) == (Enrollment.Status.ACTIVE, 3)
    assert enrollment_remove(enrollment=enrollment, actor=rep_alice)
    assert (enrollment.status, enrollment.stop_reason, enrollment.version) == ("stopped", "removed", 4)
    assert enrollment.due_at is None
    summaries = set(enrollment.lead.activities.values_list("summary", flat=True))
    assert {"Paused in sequence Intro", "Resumed in sequence Intro", "Removed in sequence Intro"} <= summaries


def test_a_rep_cannot_pause_another_reps_enrollment(rep_alice, rep_bob):
    enrollment = Enrollment.objects.create(sequence=sequence_made(), lead=LeadFactory(owner=rep_bob))
    with pytest.raises(PermissionDenied):
        enrollment_pause(enrollment=enrollment, actor=rep_alice)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
