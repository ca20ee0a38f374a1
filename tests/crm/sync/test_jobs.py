"""When syncs run: the command, the schedule sweep, a lead that qualifies, and one runner per run."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.models import Activity, CrmConnection, CrmLink, Lead, ScoringSettings, SyncRun
from crm.rescoring import leads_rescore
from crm.sync.base import SyncError
from crm.sync.clients import client_for
from crm.sync.engine import SyncEngine
from crm.sync.jobs import connections_sync_due, sync_run_execute, sync_run_start
from leadflow.schedules import SCHEDULES
from tests.crm.sync.helpers import connect
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_the_command_syncs_and_prints_the_counts(remote, manager_mia):
    LeadFactory(email="ann@acme.example", owner=manager_mia)
    remote.add(email="cy@globex.example", first_name="Cy")
    connect(remote, manager_mia)
    out = StringIO()

    call_command("sync_crm", f"{remote.kind}-test", "--push", stdout=out)

    assert "push leadflow to the crm: 1 created, 0 updated, 0 pulled" in out.getvalue().lower()
    assert not Lead.objects.filter(email="cy@globex.example").exists()

    out = StringIO()
    call_command("sync_crm", f"{remote.kind}-test", "--pull", stdout=out)
    assert "1 pulled" in out.getvalue()
    assert Lead.objects.filter(email="cy@globex.example").exists()
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.COMMAND, status=SyncRun.Status.DONE).count() == 2


def test_the_command_names_the_connections_when_the_name_is_wrong(remote, manager_mia):
    connect(remote, manager_mia)
    with pytest.raises(CommandError, match=f"connections: {remote.kind}-test"):
        call_command("sync_crm", "nope")


def test_the_command_fails_loudly_when_the_crm_refuses_the_token(remote, manager_mia):
    connection = connect(remote, manager_mia)
    # A token, or a connected app's secret where the CRM connects with client credentials (Salesforce).
    connection.token = connection.client_secret = "wrong"
    connection.save()
    with pytest.raises(CommandError, match="refused"):
        call_command("sync_crm", connection.name, stdout=StringIO())
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED


def test_the_sweep_starts_connections_whose_period_has_passed_once(remote, manager_mia):
    hourly = connect(remote, manager_mia, schedule=CrmConnection.Schedule.HOURLY)
    CrmConnection.objects.filter(pk=hourly.pk).update(last_run_at=timezone.now() - timedelta(minutes=61))

    assert connections_sync_due() == 1
    assert connections_sync_due() == 0  # the queued run is not started twice
    run = SyncRun.objects.get()
    assert (run.trigger, run.connection_id) == (SyncRun.Trigger.SCHEDULE, hourly.pk)

    CrmConnection.objects.filter(pk=hourly.pk).update(last_run_at=timezone.now())
    SyncRun.objects.update(status=SyncRun.Status.DONE)
    assert connections_sync_due() == 0


def test_the_sweep_and_the_reconciler_are_scheduled():
    funcs = {entry["func"] for entry in SCHEDULES.values()}
    assert {"crm.sync.jobs.connections_sync_due", "crm.sync.jobs.sync_runs_requeue_stalled"} <= funcs


def test_a_duplicate_task_leaves_a_run_held_by_another_runner_alone(remote, manager_mia):
    connection = connect(remote, manager_mia)
    run = sync_run_start(connection=connection, actor=manager_mia, enqueue=False)
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.RUNNING, lease_owner="other", lease_expires_at=timezone.now() + timedelta(minutes=5)
    )

    assert sync_run_execute(run.pk) == "nothing to do"
    run.refresh_from_db()
    assert (run.status, run.lease_owner) == (SyncRun.Status.RUNNING, "other")


def test_a_lead_that_qualifies_is_pushed_alone(remote, manager_mia, django_capture_on_commit_callbacks):
    weights = {"weight_fit": 0, "weight_completeness": 0, "weight_engagement": 100, "weight_recency": 0}
    ScoringSettings(pk=ScoringSettings.SINGLETON_PK, **weights, mql_threshold=20, sql_threshold=60).save()
    hot = LeadFactory(email="hot@acme.example", owner=manager_mia)
    cold = LeadFactory(email="cold@acme.example", owner=manager_mia)
    connection = connect(remote, manager_mia, push_on_qualify=True, direction=CrmConnection.Direction.BOTH)
    leads_rescore([hot.pk, cold.pk])
    Activity.objects.create(lead=hot, kind=Activity.Kind.REPLIED, summary="Replied")

    with django_capture_on_commit_callbacks(execute=True):
        leads_rescore([hot.pk, cold.pk])

    run = SyncRun.objects.get(trigger=SyncRun.Trigger.QUALIFIED)
    assert (run.status, run.lead_ids, run.created) == (SyncRun.Status.DONE, [hot.pk], 1), run.error
    assert CrmLink.objects.filter(connection=connection, lead=hot).exists()
    assert not CrmLink.objects.filter(connection=connection, lead=cold).exists()
    assert remote.find("hot@acme.example") and not remote.find("cold@acme.example")


def test_a_second_run_of_a_connection_waits_for_the_running_one(remote, manager_mia):
    connection = connect(remote, manager_mia)
    running = sync_run_start(connection=connection, actor=manager_mia, enqueue=False)
    SyncRun.objects.filter(pk=running.pk).update(
        status=SyncRun.Status.RUNNING, lease_owner="other", lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    lead = LeadFactory(email="q@acme.example", owner=manager_mia)
    pushed = sync_run_start(connection=connection, actor=None, direction="push", lead_ids=[lead.pk], enqueue=False)

    assert sync_run_execute(pushed.pk) == "waiting for the connection's running sync"
    pushed.refresh_from_db()
    assert pushed.status == SyncRun.Status.QUEUED and not remote.find("q@acme.example")

    SyncRun.objects.filter(pk=running.pk).update(status=SyncRun.Status.DONE, lease_owner="")
    assert sync_run_execute(pushed.pk) == "done"
    assert remote.find("q@acme.example")


def test_a_run_whose_lapsed_lease_another_worker_took_stops_at_its_next_write(remote, manager_mia):
    connection = connect(remote, manager_mia)
    LeadFactory(email="one@acme.example", owner=manager_mia)
    run = sync_run_start(connection=connection, actor=manager_mia, enqueue=False)
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.RUNNING, lease_owner="stalled", lease_expires_at=timezone.now() - timedelta(minutes=1)
    )
    stalled = SyncRun.objects.select_related("connection").get(pk=run.pk)  # what the silent worker still holds

    assert sync_run_execute(run.pk) == "done"  # another worker claims the lapsed lease and finishes the run
    finished = SyncRun.objects.get(pk=run.pk)

    with pytest.raises(SyncError, match="took this sync over"):
        SyncEngine(stalled, client_for(connection)).count(created=1)
    run.refresh_from_db()
    assert (run.status, run.created, run.heartbeat_at) == (SyncRun.Status.DONE, finished.created, finished.heartbeat_at)
