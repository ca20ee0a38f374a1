"""`/healthz`: is the database up, and is the job queue moving."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.conf import Conf


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    queue: dict = {"broker": "redis" if Conf.REDIS and not Conf.ORM else "orm"}
    try:
        queue["queued"] = get_broker().queue_size()
        queue["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any broker failure is reported, not raised
        queue["status"] = f"error: {exc.__class__.__name__}"
    status = "ok" if queue["status"] == "ok" else "degraded"
    return JsonResponse({"status": status, "database": "ok", "queue": queue})
