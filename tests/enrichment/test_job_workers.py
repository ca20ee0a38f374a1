"""An enrichment job under a real worker process that is killed mid-job: another runner takes over once the lease
runs out and finishes it, and no lead is asked or kept twice."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Lead
from enrichment.jobs import enrichment_job_run
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource
from tests.factories import CompanyFactory, LeadFactory
from tests.fakes.dns_server import FakeDnsServer
from tests.fakes.smtp_server import TARPIT, FakeSmtpServer
from tests.queue.test_cluster import ROOT, manage_environment

pytestmark = pytest.mark.django_db(transaction=True)

# One batch and a half: the worker is killed while it asks about the second batch's leads.
BATCH_SIZE = 8  # set for both runners below (ENRICHMENT_BATCH_SIZE)
LEADS = BATCH_SIZE + BATCH_SIZE // 2


def test_a_worker_killed_mid_job_is_taken_over_and_no_lead_is_done_twice(tmp_path, settings, manager_mia):
    # Each company's mail server takes a moment per address, so the job is still running when its worker dies.
    dns, smtp = FakeDnsServer().start(), FakeSmtpServer(tarpit_seconds=0.25).start()
    leads = []
    for number in range(LEADS):
        domain = f"slow{number}.test"
        dns.zone[domain] = {"MX": [(10, f"mx.{domain}")]}
        dns.zone[f"mx.{domain}"] = {"A": ["127.0.0.1"]}
        smtp.domains[domain] = TARPIT
        company = CompanyFactory(domain=domain, website="")
        leads.append(LeadFactory(first_name="Ida", last_name="Berg", email="", company=company, website=""))
    job = EnrichmentJob.objects.create(
        created_by=manager_mia, fields=["email"], sources=["finder"], progress_total=LEADS
    )
    EnrichmentItem.objects.bulk_create([EnrichmentItem(job=job, lead=lead) for lead in leads])
    # The worker process and this one (the runner that takes over) point the finder at the same stand-ins.
    pointed = {
        "ENRICHMENT_NAMESERVERS": f"127.0.0.1:{dns.port}",
        "ENRICHMENT_SMTP_PORT": str(smtp.port),
        "ENRICHMENT_ALLOW_PRIVATE_MX": "true",
        "ENRICHMENT_SMTP_TIMEOUT": "5",
        "ENRICHMENT_CONCURRENCY": "1",
        "ENRICHMENT_BATCH_SIZE": str(BATCH_SIZE),
    }
    env = manage_environment(media_root=tmp_path, **pointed)
    settings.ENRICHMENT_NAMESERVERS = [pointed["ENRICHMENT_NAMESERVERS"]]
    settings.ENRICHMENT_SMTP_PORT = smtp.port
    settings.ENRICHMENT_ALLOW_PRIVATE_MX = True
    settings.ENRICHMENT_SMTP_TIMEOUT = 5.0
    settings.ENRICHMENT_BATCH_SIZE = BATCH_SIZE
    run = f"from enrichment.jobs import enrichment_job_run; enrichment_job_run({job.pk})"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", run], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while EnrichmentJob.objects.get(pk=job.pk).progress_done < BATCH_SIZE:
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        job.refresh_from_db()
        assert job.status == "running" and job.progress_done == BATCH_SIZE
        kept_before = {lead.company.domain for lead in Lead.objects.filter(enrichment_items__status="done")}

        # The lease is still held: nobody may take the job yet.
        assert enrichment_job_run(job.pk) == "nothing to do"
        # Once the lease has run out (ENRICHMENT_STALL_SECONDS), the next runner resumes it.
        EnrichmentJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
        assert enrichment_job_run(job.pk) == "done"
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        dns.stop()
        smtp.stop()
    job.refresh_from_db()
    assert (job.status, job.progress_done) == ("done", LEADS)
    # Every lead kept once. Each domain accepts every address, so one question settles it: what the killed worker
    # learnt was kept as it went and the runner that took over found it; at most the question in flight at the kill
    # was asked again, and no lead kept before the kill was asked about again.
    assert FieldSource.objects.filter(field="email").count() == LEADS
    assert set(FieldSource.objects.values_list("lead_id", flat=True)) == {lead.pk for lead in leads}
    asked = Counter(address.rpartition("@")[2] for address in smtp.recipients)
    assert set(asked) == {lead.company.domain for lead in leads}
    assert sum(asked.values()) <= LEADS + 1
    assert all(asked[domain] == 1 for domain in kept_before)
