"""A worker killed with SIGKILL in the middle of a capture run or a CRM sync: once its lease has run out the
reconciler queues the job again (run here at once: the test settings run tasks in-process), the next runner
finishes it, and nothing is done twice: each captured listing is one lead, each synced person one record in the CRM.
(Imports, enrichment jobs and sends killed mid-job: tests/crm/test_import_workers.py,
tests/enrichment/test_job_workers.py, tests/outreach/test_send_crash.py; all of them at once under two clusters:
test_faults.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from crm.importing.jobs import imports_requeue_stalled
from crm.models import CrmConnection, CrmLink, ImportJob, Lead, SyncRun
from crm.sync.jobs import sync_run_start, sync_runs_requeue_stalled
from scraping.capture import FIRST_ROWS
from scraping.models import ScrapeRun
from scraping.runs import runs_requeue_stalled
from tests.crm.sync.conftest import Remote
from tests.crm.sync.helpers import connect
from tests.factories import default_stage
from tests.fakes.directory_site import LONG_LISTINGS, LONG_PAGE_LISTINGS, DirectorySite
from tests.queue.capture import capture_run_queued
from tests.queue.test_cluster import ROOT, manage_environment

pytestmark = pytest.mark.django_db(transaction=True)

STALL_SECONDS = 2
SYNCED = 250  # three batches of the push (100 a batch)


def _worker_killed_when(task: str, job_id: int, env: dict[str, str], reached, what: str) -> None:
    """Run the task in a process of its own (as a cluster's worker would), and SIGKILL it once `reached()`."""
    module, _, function = task.rpartition(".")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", f"from {module} import {function}; {function}({job_id})"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not reached():
            assert worker.poll() is None, f"the worker ended before {what}: {worker.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, f"the worker never reached {what}"
            time.sleep(0.02)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        worker.stderr.close()
    time.sleep(STALL_SECONDS + 0.5)  # its lease runs out with the silence


def test_a_worker_killed_mid_capture_run_is_taken_over_and_each_listing_is_one_lead(
    tmp_path, settings, manager_mia, local_stand_ins
):
    settings.MEDIA_ROOT = tmp_path
    settings.CAPTURE_STALL_SECONDS = settings.IMPORT_STALL_SECONDS = STALL_SECONDS
    site = DirectorySite().start()
    # A page a second: the import is made from the first two pages' rows (more than its first rows), and the worker
    # is killed while the import waits for the third; an import of a whole short table ends before a kill lands.
    site.delay = 1.0
    assert FIRST_ROWS < 2 * LONG_PAGE_LISTINGS < LONG_LISTINGS
    run = capture_run_queued(site, manager_mia, start_path="plumbers/all-leeds/")
    env = manage_environment(
        media_root=tmp_path, CAPTURE_STALL_SECONDS=str(STALL_SECONDS), IMPORT_STALL_SECONDS=str(STALL_SECONDS),
        HTTP_ALLOW_PRIVATE_HOSTS="localhost", HTTP_RATE_PER_HOST="0",
    )  # fmt: skip
    try:
        _worker_killed_when(
            "scraping.runs.scrape_run_execute",
            run.pk,
            env,
            lambda: ImportJob.objects.filter(fed_by_caller=True).exists() and len(site.requested_paths()) >= 2,
            "its import",
        )
        assert ScrapeRun.objects.get(pk=run.pk).status == "running"
        # The import the dead run was feeding is failed, not resumed from a file that may not be whole ...
        assert imports_requeue_stalled() == 0
        [orphan] = ImportJob.objects.filter(fed_by_caller=True)
        assert orphan.status == "failed" and "capture" in orphan.error
        # ... and the run is queued again: it fetches and imports the whole table.
        assert runs_requeue_stalled() == 1
    finally:
        site.stop()
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 2)
    captured = Lead.objects.filter(source="directory-leeds")
    assert captured.count() == LONG_LISTINGS == captured.values("phone").distinct().count()


def test_a_worker_killed_mid_sync_is_taken_over_and_each_person_is_one_record(settings, manager_mia, local_stand_ins):
    settings.SYNC_STALL_SECONDS = STALL_SECONDS
    settings.PIPEDRIVE_REQUESTS_PER_SECOND = 0
    remote = Remote(CrmConnection.Kind.HUBSPOT, settings)
    remote.stand_in.delay = 0.3
    stage = default_stage()
    leads = Lead.objects.bulk_create(
        Lead(first_name=f"Synced{n}", email=f"synced{n}@crm.example", stage=stage, owner=manager_mia)
        for n in range(SYNCED)
    )
    crm = connect(remote, manager_mia, direction=CrmConnection.Direction.PUSH)
    run = sync_run_start(connection=crm, actor=None, direction="push", enqueue=False)
    env = manage_environment(
        media_root=settings.MEDIA_ROOT, SYNC_STALL_SECONDS=str(STALL_SECONDS), HTTP_ALLOW_PRIVATE_HOSTS="localhost",
        HTTP_RATE_PER_HOST="0", **remote.stand_in.settings,
    )  # fmt: skip
    try:
        # Killed once the CRM holds people of the first batch, while Leadflow links them or asks about the next.
        _worker_killed_when(
            "crm.sync.jobs.sync_run_execute", run.pk, env, lambda: bool(remote.stand_in.contacts), "the first batch"
        )
        assert SyncRun.objects.get(pk=run.pk).status == "running"
        assert 0 < len(remote.stand_in.contacts) < SYNCED
        assert sync_runs_requeue_stalled() == 1
        created = Counter(
            item["properties"]["email"]
            for body in remote.stand_in.requests_to("batch/create")
            for item in body["inputs"]
        )
        in_crm = Counter(contact["properties"]["email"] for contact in remote.stand_in.contacts.values())
    finally:
        remote.stop()
    assert SyncRun.objects.get(pk=run.pk).status == "done"
    emails = Counter(lead.email for lead in leads)
    assert in_crm == emails  # each person once in the CRM
    assert max(created.values()) == 1  # and made there once: the runner that took over found the dead one's
    assert CrmLink.objects.count() == SYNCED
