"""Draft jobs: a list's drafts written under a lease with progress; a failing lead is recorded and the job goes on;
the page, the roles, and `manage.py write_drafts`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

import outreach.jobs
from crm.models import ListMembership
from outreach.jobs import draft_job_cancel, draft_job_create, draft_job_run
from outreach.models import Draft, DraftItem, DraftJob
from tests.factories import LeadFactory, LeadListFactory


@pytest.fixture
def alices_list(rep_alice):
    lead_list = LeadListFactory(name="Fair visitors", created_by=rep_alice)
    for lead in LeadFactory.create_batch(5, owner=rep_alice):
        ListMembership.objects.create(lead_list=lead_list, lead=lead)
    return lead_list


def leads_of(lead_list):
    return lead_list.members.all()


def test_a_job_writes_a_draft_for_each_lead_with_progress(rep_alice, alices_list):
    job = draft_job_create(actor=rep_alice, leads=leads_of(alices_list), channel="linkedin", tone="consultative")
    assert (job.status, job.progress_total, job.progress_done, job.percent) == ("queued", 5, 0, 0)
    assert draft_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.progress_done, job.percent, job.breakdown) == (5, 100, {"template": 5})
    drafts = Draft.objects.filter(job=job)
    assert drafts.count() == 5 and all(len(draft.body) <= 300 for draft in drafts)
    assert len({draft.body for draft in drafts}) > 1
    assert set(job.items.values_list("status", flat=True)) == {"done"}


def test_a_failing_lead_is_recorded_and_the_job_continues(rep_alice, rep_bob, alices_list):
    job = draft_job_create(actor=rep_alice, leads=leads_of(alices_list), channel="email", tone="direct")
    moved = alices_list.members.order_by("pk")[1]
    moved.owner = rep_bob  # handed to Bob after the job was made: Alice may no longer write to this lead
    moved.save()
    draft_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.breakdown) == ("done", 5, {"template": 4, "failed": 1})
    failed = job.items.get(status=DraftItem.Status.FAILED)
    assert failed.lead == moved and "only change leads you own" in failed.outcome
    assert not Draft.objects.filter(lead=moved).exists()


def test_a_job_pauses_and_a_new_task_finishes_it(rep_alice, alices_list):
    job = draft_job_create(actor=rep_alice, leads=leads_of(alices_list), channel="whatsapp")
    # No time left after the first lead: it hands over to a new task (run at once by the synchronous test cluster).
    assert draft_job_run(job.pk, seconds=0) == "continues in a new task"
    job.refresh_from_db()
    assert (job.status, job.progress_done) == ("done", 5)
    assert Draft.objects.filter(job=job).count() == 5


def test_a_duplicate_task_leaves_a_held_job_alone(rep_alice, alices_list):
    job = draft_job_create(actor=rep_alice, leads=leads_of(alices_list), channel="email")
    DraftJob.objects.filter(pk=job.pk).update(
        status="running", lease_owner="someone", lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert draft_job_run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert (job.status, job.progress_done) == ("running", 0) and not Draft.objects.exists()


def test_a_cancelled_job_writes_nothing_more(rep_alice, alices_list):
    job = draft_job_create(actor=rep_alice, leads=leads_of(alices_list), channel="email")
    assert draft_job_cancel(job=job, actor=rep_alice)
    assert draft_job_run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert job.status == "cancelled" and not Draft.objects.exists()


def test_a_job_writes_only_to_leads_the_user_may_change(rep_bob, alices_list):
    unassigned = LeadFactory(owner=None)
    ListMembership.objects.create(lead_list=alices_list, lead=unassigned)
    job = draft_job_create(actor=rep_bob, leads=leads_of(alices_list), channel="email")
    assert job.progress_total == 0


def test_the_job_pages_start_show_and_hide_jobs(client, rep_alice, rep_bob, alices_list):
    client.force_login(rep_alice)
    form = client.get(reverse("outreach:jobs") + f"?list={alices_list.pk}").content.decode()
    assert "Fair visitors" in form
    data = {"lead_list": alices_list.pk, "channel": "email", "tone": "formal", "length": "short"}
    response = client.post(reverse("outreach:job_new"), data)
    job = DraftJob.objects.get()
    assert response["Location"] == reverse("outreach:job", args=[job.pk])
    draft_job_run(job.pk)
    page = client.get(reverse("outreach:job", args=[job.pk])).content.decode()
    assert "5 of 5 leads" in page and 'id="drafts-template">5<' in page
    progress = client.get(reverse("outreach:job_progress", args=[job.pk])).content.decode()
    assert "Done" in progress and "hx-trigger" not in progress  # polling stops once the job ends
    client.force_login(rep_bob)
    assert client.get(reverse("outreach:job", args=[job.pk])).status_code == 404
    assert client.post(reverse("outreach:job_cancel", args=[job.pk])).status_code == 404


def test_a_job_for_ticked_leads(client, rep_alice, alices_list):
    chosen = list(alices_list.members.values_list("pk", flat=True)[:2])
    client.force_login(rep_alice)
    # The leads table's "Write drafts…" posts the ticked ids; the choices come next, the ids carried along.
    choose = client.post(reverse("outreach:job_new"), {"leads": [*map(str, chosen), "abc"]}).content.decode()
    assert "Write drafts for 2 ticked leads" in choose and ",".join(map(str, chosen)) in choose
    assert not DraftJob.objects.exists()
    data = {"leads": ",".join(map(str, chosen)) + ",abc,²", "channel": "linkedin", "tone": "direct", "length": "short"}
    client.post(reverse("outreach:job_new"), data)
    assert DraftJob.objects.get().progress_total == 2


def test_a_viewer_cannot_start_a_job(client, viewer_vic, alices_list):
    client.force_login(viewer_vic)
    data = {"lead_list": alices_list.pk, "channel": "email", "tone": "formal", "length": "short"}
    assert client.post(reverse("outreach:job_new"), data).status_code == 403
    assert not DraftJob.objects.exists()


def test_the_command_writes_a_lists_drafts_and_prints_counts(admin_ada, alices_list, capsys):
    call_command("write_drafts", "--list", "fair visitors", "--channel", "whatsapp", "--tone", "friendly")
    out = capsys.readouterr().out
    assert "5 lead(s) of list Fair visitors" in out
    assert "Done: 5 of 5 lead(s) processed." in out and "written by the built-in writer: 5" in out
    assert Draft.objects.filter(channel="whatsapp", tone="friendly", created_by=admin_ada).count() == 5


def test_the_command_names_an_unknown_list(admin_ada):
    with pytest.raises(CommandError, match="no list named"):
        call_command("write_drafts", "--list", "nope", "--channel", "email")


def test_one_slow_ai_answer_never_outlasts_the_jobs_lease(rep_alice, alices_list, settings, monkeypatch):
    # Defaults: 30 s timeout, 3 retries, 20 s waits: one answer and its repair may take 360 s, past a 300 s lease.
    settings.AI_TIMEOUT_SECONDS, settings.AI_MAX_RETRIES, settings.AI_RETRY_MAX_WAIT_SECONDS = 30, 3, 20
    leases = []
    real = outreach.jobs.draft_compose

    def compose_noting_the_lease(**kwargs):
        leases.append(DraftJob.objects.get().lease_expires_at - timezone.now())
        return real(**kwargs)

    monkeypatch.setattr(outreach.jobs, "draft_compose", compose_noting_the_lease)
    draft_job_run(draft_job_create(actor=rep_alice, leads=leads_of(alices_list), channel="email").pk)
    assert len(leases) == 5 and min(leases) > timedelta(seconds=360)
