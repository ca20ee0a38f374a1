"""Imports under real concurrency, with real transactions: one runner per job (a lease), a runner that lost its
lease stops without marking the job, a killed worker leaves no process and no database session behind, damage found
part-way keeps the same batches on every write path, and a person's edit made while a batch is written stands."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from crm.importing import jobs
from crm.importing.jobs import import_job_run
from crm.importing.reading import FileRefused, csv_rows
from crm.models import ImportChange, ImportJob, ImportRejection, Lead
from crm.services.leads import lead_update
from tests.crm.test_import_jobs import _csv, _started
from tests.factories import LeadFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a second writer while a batch is written (PostgreSQL)"
)


def _people(count: int, domain: str) -> list[list[str]]:
    return [[f"Person{n}", "Test", f"p{n}@{domain}", "", "", "", "", ""] for n in range(count)]


def test_a_runner_that_lost_its_lease_stops_and_leaves_the_job_to_the_one_that_took_over(
    tmp_path, manager_mia, monkeypatch, settings
):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    job = _started(manager_mia, _csv(tmp_path, _people(10, "lease.example")))
    # A lease that runs out at once: runner A, stalled between two batches, is taken over by runner B.
    settings.IMPORT_STALL_SECONDS = 0
    a_stalled, b_finished = threading.Event(), threading.Event()
    real_batches = jobs.draft_batches

    def batches_of_a_runner_that_stalls(*args, **kwargs):
        for number, batch in enumerate(real_batches(*args, **kwargs), start=1):
            if number == 3 and threading.current_thread().name == "runner-a":
                a_stalled.set()
                assert b_finished.wait(60)
            yield batch

    monkeypatch.setattr(jobs, "draft_batches", batches_of_a_runner_that_stalls)
    outcome = {}

    def runner_a() -> None:
        try:
            outcome["a"] = import_job_run(job.pk)
        finally:
            connections.close_all()

    a = threading.Thread(target=runner_a, name="runner-a")
    a.start()
    assert a_stalled.wait(60)
    try:
        assert import_job_run(job.pk) == "done"  # runner B
    finally:
        b_finished.set()
        a.join(60)
    assert outcome["a"] == "another worker took over"
    job.refresh_from_db()
    # Every row once: nothing lost, nothing twice, and A did not touch the job after losing it.
    assert job.status == ImportJob.Status.DONE and job.lease_owner == ""
    assert (job.rows_read, job.rows_imported) == (10, 10)
    assert Lead.objects.count() == 10 and Lead.objects.values("email").distinct().count() == 10


def test_a_task_finding_the_lease_held_leaves_status_and_counters_alone(tmp_path, manager_mia, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    job = _started(manager_mia, _csv(tmp_path, _people(4, "held.example")))
    runner = "a-live-runner"
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, lease_owner=runner, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert import_job_run(job.pk) == "nothing to do"
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.rows_read, job.progress_done) == ("running", runner, 0, 0)
    assert not Lead.objects.exists()


def test_damage_found_part_way_keeps_the_same_batches_on_every_write_path(tmp_path, manager_mia, monkeypatch):
    # With real transactions: on PostgreSQL the next batch is planned while one is written, elsewhere one after
    # another; either way every batch before the damage is kept, and none after it.
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    path = _csv(tmp_path, [*_people(4, "damaged.example"), ["x" * 2_000, "", "", "", "", "", "", ""]])
    job = _started(manager_mia, path)
    monkeypatch.setattr(csv_rows, "MAX_LINE_CHARS", 1_000)
    with pytest.raises(FileRefused):
        import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "Line 6 is over 1,000 characters" in job.error
    assert (job.rows_imported, job.last_line, Lead.objects.count()) == (4, 5, 4)


@on_postgresql
def test_a_persons_edit_made_while_a_batch_is_planned_is_not_overwritten(tmp_path, manager_mia, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    grace = LeadFactory(first_name="Grace", last_name="Hopper", email="grace@navy.example", title="", company=None)
    rows = [*_people(2, "edit.example"), ["Grace", "Hopper", "grace@navy.example", "", "", "Rear Admiral", "", ""]]
    job = _started(manager_mia, _csv(tmp_path, rows), on_duplicate="overwrite")
    real_save = jobs.BatchWriter.save

    def save_after_a_person_edits(self, plan):
        if any(known.lead.pk == grace.pk for known in plan.changed):
            # Planned already; a person saves the lead on another connection before this batch is written.
            def edit() -> None:
                lead_update(lead=Lead.objects.get(pk=grace.pk), actor=manager_mia, title="Admiral")
                connections.close_all()

            person = threading.Thread(target=edit)
            person.start()
            person.join(30)
        return real_save(self, plan)

    monkeypatch.setattr(jobs.BatchWriter, "save", save_after_a_person_edits)
    assert import_job_run(job.pk) == "done"
    grace.refresh_from_db()
    assert grace.title == "Admiral"
    job.refresh_from_db()
    assert (job.rows_imported, job.rows_updated, job.rows_skipped) == (2, 0, 1)
    skipped = job.rejections.get(kind=ImportRejection.Kind.SKIPPED)
    assert skipped.lead == grace and "Changed by someone while the import ran" in skipped.reason
    assert not ImportChange.objects.filter(lead=grace).exists()
    assert not grace.activities.filter(summary__startswith="Updated from").exists()


def _database_url() -> str:
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _idle_in_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_killed_worker_leaves_no_normalising_process_nor_database_session_and_the_import_resumes(
    tmp_path, settings, manager_mia
):
    settings.MEDIA_ROOT = tmp_path
    path = _csv(tmp_path, _people(40_000, "killed.example"), name="big.csv")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-" + "k" * 50,
        "ALLOWED_HOSTS": "localhost",
        "MEDIA_ROOT": str(tmp_path),
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "import_leads", str(path), "--user", manager_mia.email],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not ImportJob.objects.filter(last_line__gt=0).exists():
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the import never wrote a batch"
            time.sleep(0.05)
        children = _children(worker.pid)
        assert children, "the import normalises rows in a child process"
        worker.send_signal(signal.SIGTERM)  # mid-file: killed as a supervisor stops a worker
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stderr.close()
    deadline = time.monotonic() + 15
    try:
        while any(_alive(pid) for pid in children) or (connection.vendor == "postgresql" and _idle_in_transaction()):
            assert time.monotonic() < deadline, "a process or an idle transaction outlived the killed worker"
            time.sleep(0.1)
    finally:
        for pid in filter(_alive, children):
            os.kill(pid, signal.SIGKILL)  # so that a failure here does not leave the database locked for the rest
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.RUNNING and 0 < job.rows_read < 40_000
    # The job's lease runs out with the silence; the next task resumes after the bookmark, without waiting on any
    # lock the dead worker held.
    ImportJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
    assert import_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.rows_read, job.rows_imported) == (40_000, 40_000)
    assert Lead.objects.count() == 40_000 == Lead.objects.values("email").distinct().count()


def test_a_reps_import_fills_the_leads_its_earlier_batches_created(tmp_path, rep_alice, monkeypatch):
    # On PostgreSQL the second batch is matched while the first is still being written: the lead the first creates
    # is the rep's own, not "someone else's".
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = [
        ["Ada", "Lovelace", "ada@engines.example", "", "", "", "", ""],
        ["Grace", "Hopper", "grace@navy.example", "", "", "", "", ""],
        ["Ada", "Lovelace", "ada@engines.example", "", "", "Countess", "", ""],
    ]
    job = _started(rep_alice, _csv(tmp_path, rows), on_duplicate="fill")
    assert import_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert (job.rows_imported, job.rows_updated, job.rows_skipped) == (2, 1, 0)
    ada = Lead.objects.get(first_name="Ada")
    assert (ada.title, ada.owner) == ("Countess", rep_alice)
