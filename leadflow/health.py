"""`/healthz`: is the database up, and is the job queue moving."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.status import Stat


def queue_figures() -> dict:
    """Tasks waiting; the job clusters alive (each writes a heartbeat to the broker every few seconds); the age of
    the oldest waiting task (database broker only: Redis keeps no enqueue time within reach)."""
    broker = get_broker()
    figures = {"queued": broker.queue_size(), "clusters": len(Stat.get_all(broker=broker)), "oldest_seconds": None}
    if Conf.ORM:
        waiting = OrmQ.objects.using(Conf.ORM).filter(key=broker.list_key, lock__lte=timezone.now())
        oldest = waiting.aggregate(oldest=Min("lock"))["oldest"]
        figures["oldest_seconds"] = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return figures


def queue_stall_reasons(figures: dict) -> list[str]:
    """Why the queue is not moving: no cluster alive, or a task waiting longer than HEALTH_QUEUE_STALL_SECONDS."""
    reasons = []
    if not figures["clusters"]:
        reasons.append("no job cluster heartbeat: is `manage.py qcluster` running?")
    if (figures["oldest_seconds"] or 0) > settings.HEALTH_QUEUE_STALL_SECONDS:
        reasons.append(f"the oldest queued task has waited {figures['oldest_seconds']:.0f} s")
    return reasons


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """503 when the database is unreachable (this web process cannot serve); 200 otherwise, "degraded" with the
    reasons when the job queue is stalled or its broker unreachable (pages still work, jobs wait)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    queue: dict = {"broker": "redis" if Conf.REDIS and not Conf.ORM else "orm"}
    try:
        figures = queue_figures()
    except Exception as exc:  # noqa: BLE001 - any broker failure is reported, not raised
        queue["status"] = f"error: {exc.__class__.__name__}"
        return JsonResponse({"status": "degraded", "database": "ok", "queue": queue})
    reasons = queue_stall_reasons(figures)
    queue.update(
        queued=figures["queued"],
        clusters=figures["clusters"],
        status="stalled" if reasons else "ok",
    )
    if figures["oldest_seconds"] is not None:
        queue["oldest_seconds"] = figures["oldest_seconds"]
    body: dict = {"status": "degraded" if reasons else "ok", "database": "ok", "queue": queue}
    if reasons:
        body["reasons"] = reasons
    return JsonResponse(body)
