"""Workers killed (SIGKILL) at random points while sending, several times, with two of them running against the
same database and a real SMTP server: no recipient gets a second copy, every due message ends sent or 'uncertain'
(at most the batch its dead worker had in flight), and none is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Lead
from outreach.claims import BATCH_SIZE, stale_claims_mark_uncertain
from outreach.models import Enrollment, Message
from tests.factories import CompanyFactory, default_stage
from tests.outreach.sending import sequence_create
from tests.queue.processes import ManagedProcesses
from tests.queue.test_cluster import ROOT, manage_environment

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 300
KILLS = 4
# Longer than the whole test: no live worker's claim goes stale while it runs; the dead ones' are swept at the end.
CLAIM_SECONDS = 3600


class Workers:
    """`manage.py run_sequences` processes, each ticking every 0.2 s, started and killed by name."""

    def __init__(self, env: dict[str, str], logs) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}
        self.started = 0

    def start(self) -> str:
        self.started += 1
        name = f"worker-{self.started}"
        self.running[name] = subprocess.Popen(
            [sys.executable, "manage.py", "run_sequences", "--every", "0.2", "--worker", name],
            cwd=ROOT, env=self.env, start_new_session=True, stdout=(self.logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        return name

    def kill(self, name: str) -> int:
        """SIGKILL the worker; how many messages it left claimed."""
        process = self.running.pop(name)
        left = _kill_and_count_claims(process.pid, name)
        process.wait(10)
        return left

    def stop_all(self) -> None:
        for name, process in list(self.running.items()):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            del self.running[name]

    def check_alive(self) -> None:
        for name, process in self.running.items():
            assert process.poll() is None, f"{name} died: {(self.logs / f'{name}.log').read_text()[-3000:]}"


def _wait_for(condition, workers: Workers, *, seconds: float = 120, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        workers.check_alive()
        if time.monotonic() > deadline:
            logs = "\n".join(path.read_text()[-800:] for path in sorted(workers.logs.glob("*.log")))
            logs += f"\nby status: {Counter(Message.objects.values_list('status', flat=True))}"
            waiting = Enrollment.objects.filter(status="active").exclude(due_at=None)
            logs += f"\nwaiting: {list(waiting.values_list('due_at', 'messages__status', 'messages__error')[:5])}"
            raise AssertionError(f"timed out waiting for {what}; the workers said:\n{logs}")
        time.sleep(0.02)


FEEDER = """
import time
from django_q.brokers import get_broker
from django_q.tasks import async_task
broker = get_broker()
while True:  # the minute schedule, compressed: a tick queued whenever the clusters have few left
    try:
        if broker.queue_size() < 4:
            async_task("outreach.scheduler.sequences_send_due")
    except Exception as exc:  # a Redis broker restarting: the schedule too would queue its next tick later
        print("feeder:", exc, flush=True)
    time.sleep(0.05)
"""


class Clusters(ManagedProcesses):
    """Real django-q2 clusters (`manage.py qcluster`, one worker each) running the scheduler's tick task, which a
    feeder process keeps queueing; a kill hits the worker process with a batch in flight (its cluster starts another,
    as in production)."""

    def __init__(self, env: dict[str, str], logs) -> None:
        super().__init__({**env, "Q_WORKERS": "1"}, logs)
        self.killed: set[str] = set()

    def start(self) -> None:
        self.spawn("cluster-1", "qcluster")
        self.spawn("cluster-2", "qcluster")
        self.spawn("feeder", "shell", "-c", FEEDER)

    def kill_worker_in_flight(self, rng: random.Random) -> int:
        """SIGKILL one worker process that has claimed messages not yet confirmed; how many it had in flight."""
        while True:
            self.check_alive()
            sending = set(Message.objects.filter(status="sending").values_list("claimed_by", flat=True))
            # Not the dead ones: a worker killed earlier stays a zombie, alive to os.kill, until its cluster reaps it.
            claimers = sorted(claimer for claimer in sending - self.killed if _process_alive(claimer))
            if claimers:
                break
            time.sleep(0.005)
        victim = rng.choice(claimers)
        self.killed.add(victim)
        return _kill_and_count_claims(int(victim.rpartition(":")[2]), victim)


def _kill_and_count_claims(pid: int, claimer: str) -> int:
    """SIGKILL the process; how many messages it left claimed."""
    return processes_kill_and_count_claims([pid], {claimer}, lambda: os.kill(pid, signal.SIGKILL))


def processes_kill_and_count_claims(pids: list[int], claimers: set[str], kill: Callable[[], None]) -> int:
    """Kill the processes, then count their messages still 'sending' once their database sessions have ended: what
    they had already written to them (a COMMIT, the UPDATE marking a batch sent) is still carried out after they are
    gone, even when the server had not read it yet."""
    ports = set().union(*(_database_client_ports(pid) for pid in pids))
    kill()
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE client_port = ANY(%s)", [sorted(ports)])
            if cursor.fetchone()[0] == 0:
                break
            assert time.monotonic() < deadline, "the killed worker's database session never ended"
            time.sleep(0.02)
    return Message.objects.filter(status="sending", claimed_by__in=claimers).count()


def _database_client_ports(pid: int) -> set[int]:
    """The local ports of the process's TCP connections to the database server: its sockets' inodes found in
    /proc/net/tcp (the server sees each as a session's client_port)."""
    inodes = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:  # ended meanwhile
        return set()
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    server_port = int(connection.settings_dict["PORT"] or 5432)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            next(rows)  # the header
            for row in rows:
                local, remote, inode = row.split()[1], row.split()[2], row.split()[9]
                if inode in inodes and int(remote.rpartition(":")[2], 16) == server_port:
                    ports.add(int(local.rpartition(":")[2], 16))
    return ports


def _recipients_due(mailbox, count: int = RECIPIENTS):
    mailbox.daily_cap = 10_000
    mailbox.save()
    sequence = sequence_create(mailbox, daily_cap=10_000)
    stage, company = default_stage(), CompanyFactory(name="Northwind Freight")
    leads = Lead.objects.bulk_create(
        Lead(first_name=f"Person{n}", email=f"person{n}@company{n}.example", stage=stage, company=company)
        for n in range(count)
    )
    due = timezone.now() - timedelta(minutes=1)
    Enrollment.objects.bulk_create(Enrollment(sequence=sequence, lead=lead, due_at=due) for lead in leads)
    return sequence


def _kill_thresholds(rng: random.Random) -> list[int]:
    """Kill when this many messages have arrived (each kill strands up to a batch, so the last threshold stays within
    reach)."""
    return sorted(rng.sample(range(10, RECIPIENTS - KILLS * BATCH_SIZE), KILLS))


def _settled(alive: Callable[[str], bool]) -> bool:
    """Every due message claimed and answered, but for those the dead workers hold.

    Nothing waiting is read first: a claim moves an enrollment out of waiting, so read the other way round a batch
    claimed between the two reads would be missed, and the live worker holding it stopped mid-batch."""
    if Enrollment.objects.filter(status="active", due_at__isnull=False).exists():
        return False
    claimers = Message.objects.filter(status="sending").values_list("claimed_by", flat=True)
    return not any(alive(claimer) for claimer in claimers)


def _process_alive(claimer: str) -> bool:
    """A cluster's worker claims as "host:pid"; is that process still running?"""
    try:
        os.kill(int(claimer.rpartition(":")[2]), 0)
    except ProcessLookupError:
        return False
    return True


def _assert_each_sent_once_or_uncertain(
    sequence, mail_sink, in_flight_at_kills: list[int], recipients: int = RECIPIENTS, workers: int = 1
) -> None:
    # The dead workers' claims, once old enough, are for a person to review.
    uncertain = stale_claims_mark_uncertain(now=timezone.now() + timedelta(seconds=CLAIM_SECONDS + 1))
    copies = mail_sink.copies_per_recipient()
    assert max(copies.values()) == 1, {address: n for address, n in copies.items() if n > 1}
    messages = list(Message.objects.filter(enrollment__sequence=sequence))
    assert len(messages) == recipients  # one per enrollment: none lost, none doubled
    assert {m.status for m in messages} <= {Message.Status.SENT, Message.Status.UNCERTAIN}
    for message in messages:
        if message.status == Message.Status.SENT:
            [arrived] = mail_sink.received_by(message.to_email)
            assert arrived["Message-ID"] == message.message_id
    # Each killed worker held at most one tick's batch.
    assert all(count <= BATCH_SIZE * workers for count in in_flight_at_kills), in_flight_at_kills
    assert uncertain == sum(in_flight_at_kills) == sum(m.status == Message.Status.UNCERTAIN for m in messages)
    assert Enrollment.objects.filter(sequence=sequence, status="finished").count() == recipients - uncertain


ON_POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite is one writer at a time: two workers against one file prove nothing about row locks; run on "
    "PostgreSQL (DATABASE_URL=postgres://…)",
)


@ON_POSTGRESQL_ONLY
def test_killed_workers_never_cause_a_second_copy_and_lose_nothing(tmp_path, mail_sink, mailbox):
    sequence = _recipients_due(mailbox)
    mail_sink.delay = 0.02  # a real server takes a while to accept each message: kills land mid-batch
    env = manage_environment(media_root=tmp_path, OUTREACH_CLAIM_SECONDS=str(CLAIM_SECONDS))
    workers = Workers(env, tmp_path)
    rng = random.Random(13)
    in_flight_at_kills = []
    try:
        workers.start()
        workers.start()
        for threshold in _kill_thresholds(rng):
            _wait_for(lambda t=threshold: len(mail_sink.messages) >= t, workers, what=f"{threshold} messages sent")
            # A worker with a batch in flight if there is one.
            sending = set(Message.objects.filter(status="sending").values_list("claimed_by", flat=True))
            victim = rng.choice(sorted(sending & set(workers.running)) or sorted(workers.running))
            in_flight_at_kills.append(workers.kill(victim))
            workers.start()
        _wait_for(lambda: _settled(workers.running.__contains__), workers, what="every due message to be answered")
    finally:
        workers.stop_all()
    _assert_each_sent_once_or_uncertain(sequence, mail_sink, in_flight_at_kills)
    assert sum(in_flight_at_kills) > 0  # the kills did land mid-batch


@ON_POSTGRESQL_ONLY
def test_workers_of_two_real_clusters_killed_mid_batch_never_cause_a_second_copy(tmp_path, mail_sink, mailbox):
    sequence = _recipients_due(mailbox)
    mail_sink.delay = 0.02
    env = manage_environment(media_root=tmp_path, OUTREACH_CLAIM_SECONDS=str(CLAIM_SECONDS))
    clusters = Clusters(env, tmp_path)
    rng = random.Random(31)
    in_flight_at_kills = []
    try:
        clusters.start()
        for threshold in _kill_thresholds(rng):
            _wait_for(lambda t=threshold: len(mail_sink.messages) >= t, clusters, what=f"{threshold} messages sent")
            in_flight_at_kills.append(clusters.kill_worker_in_flight(rng))
        _wait_for(lambda: _settled(_process_alive), clusters, what="every due message to be answered")
    finally:
        clusters.stop_all()
    _assert_each_sent_once_or_uncertain(sequence, mail_sink, in_flight_at_kills)
    assert sum(in_flight_at_kills) > 0  # the kills did land mid-batch
