"""The real django-q2 cluster runs what the app queues: an import started in one process is imported by
`manage.py qcluster` in another, through the database broker, as in production."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from crm.importing.jobs import import_job_create
from crm.models import ImportJob, Lead

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


# CI sets this to its Redis, to run the same test on the Redis broker (Q_REDIS_URL) as well as the database one.
REDIS_URL = os.environ.get("LEADFLOW_TEST_REDIS_URL", "")
BROKERS = ["database", pytest.param("redis", marks=pytest.mark.skipif(not REDIS_URL, reason="no test Redis"))]


def manage_environment(
    *, media_root: Path, broker: str = "database", redis_url: str = REDIS_URL, **extra: str
) -> dict[str, str]:
    """The environment of a manage.py process with the production settings (queue not synchronous) on the test DB."""
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "cluster-test-" + "k" * 50,
        "ALLOWED_HOSTS": "localhost",
        "MEDIA_ROOT": str(media_root),
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("Q_REDIS_URL", None)
    if broker == "redis":
        env["Q_REDIS_URL"] = redis_url
    return env


def _manage(*args: str, media_root: Path, broker: str) -> subprocess.CompletedProcess:
    """Run manage.py in its own process and wait for it."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=manage_environment(media_root=media_root, broker=broker),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("broker", BROKERS)
def test_an_import_queued_by_the_app_is_run_by_a_real_cluster(tmp_path, settings, manager_mia, broker):
    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "people.csv"
    path.write_text(
        "Name,Email,Company\nAda Lovelace,ada@engines.example,Engines\nGrace Hopper,grace@navy.example,Navy\n"
    )
    job = import_job_create(actor=manager_mia, path=path, original_name="people.csv")
    start = (
        "from crm.importing.jobs import import_job_start; from crm.models import ImportJob; "
        f"job = ImportJob.objects.get(pk={job.pk}); "
        "import_job_start(job=job, actor=job.created_by, mapping=job.mapping, on_duplicate='skip')"
    )
    queued = _manage("shell", "-c", start, media_root=tmp_path, broker=broker)
    assert queued.returncode == 0, queued.stderr
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED  # queued, not run: nothing has imported it yet
    cluster = _manage("qcluster", "--run-once", media_root=tmp_path, broker=broker)
    assert cluster.returncode == 0, cluster.stderr
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, (job.error, cluster.stderr[-2000:])
    assert Lead.objects.filter(import_job=job).count() == 2


def test_an_enrichment_job_started_in_the_app_is_run_by_a_real_cluster_once(tmp_path, manager_mia):
    from enrichment.models import EnrichmentJob, FieldSource
    from tests.factories import LeadFactory

    leads = [LeadFactory(phone=f"+44207946095{n}", time_zone="") for n in range(3)]
    start = (
        "from crm.models import Lead, User; from enrichment.jobs import enrichment_job_create; "
        f"enrichment_job_create(actor=User.objects.get(pk={manager_mia.pk}), "
        f"leads=Lead.objects.filter(pk__in={[lead.pk for lead in leads]}), fields=['phone'], sources=['phone'])"
    )
    queued = _manage("shell", "-c", start, media_root=tmp_path, broker="database")
    assert queued.returncode == 0, queued.stderr
    job = EnrichmentJob.objects.get()
    assert job.status == EnrichmentJob.Status.QUEUED
    # The task delivered twice (as the database broker may after a worker dies): the second finds nothing to do.
    requeue = f"from django_q.tasks import async_task; async_task('enrichment.jobs.enrichment_job_run', {job.pk})"
    again = _manage("shell", "-c", requeue, media_root=tmp_path, broker="database")
    assert again.returncode == 0, again.stderr
    cluster = _manage("qcluster", "--run-once", media_root=tmp_path, broker="database")
    assert cluster.returncode == 0, cluster.stderr
    job.refresh_from_db()
    assert (job.status, job.progress_done) == (EnrichmentJob.Status.DONE, 3), cluster.stderr[-2000:]
    assert FieldSource.objects.filter(field="phone").count() == 3
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("time_zone", flat=True)) == {
        "Europe/London"
    }


def test_a_scheduled_campaign_is_run_by_the_real_clusters_scheduler(tmp_path, manager_mia):
    """The cluster's scheduler (about once every 30 s) starts the due campaign, and a worker runs it: leads come in."""
    import signal
    import time

    from scraping.models import Campaign, ScrapeRun, Source
    from tests.fakes.directory_site import DirectorySite

    site = DirectorySite().start()
    campaign = Campaign.objects.create(
        name="Plumbers in Leeds",
        source=Source.objects.create(kind="website", name="Directories"),
        target={
            "start_urls": [site.url("plumbers/leeds/")],
            "item": "div.listing",
            "region": "GB",
            "fields": {"company": "h2", "phone": ".tel"},
            "next_page": "a.next@href",
        },
        schedule="hourly",
        next_run_at=timezone.now() - timedelta(hours=3),
        created_by=manager_mia,
    )
    env = manage_environment(media_root=tmp_path, HTTP_ALLOW_PRIVATE_HOSTS="localhost", HTTP_RATE_PER_HOST="0")
    assert (
        subprocess.run([sys.executable, "manage.py", "sync_schedules"], cwd=ROOT, env=env, check=False).returncode == 0
    )
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not ScrapeRun.objects.filter(campaign=campaign, status="done").exists():
            assert cluster.poll() is None, cluster.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the scheduler never ran the campaign"
            time.sleep(0.5)
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
        site.stop()
    run = ScrapeRun.objects.get(campaign=campaign)
    assert (run.trigger, run.leads_created) == ("schedule", 7)
    campaign.refresh_from_db()
    # Once, however many hours were missed: its next time is the hour after the scheduler started it (which may be
    # seconds later, on the hour), not one of the three missed hours.
    assert campaign.next_run_at > run.created_at - timedelta(minutes=1)
    assert campaign.next_run_at <= run.created_at + timedelta(hours=1)
