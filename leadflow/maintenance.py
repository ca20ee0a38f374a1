"""Database housekeeping run by the job cluster on a schedule."""

from django.conf import settings
from django.db import connection
from django_q.models import Success


def database_optimize() -> str:
    """Refresh the query planner's statistics so list pages keep their fast plans as the data grows.

    PostgreSQL's autovacuum does this by itself, but SQLite never gathers statistics on its own: without
    them it picks a slow plan for a rep's leads table (measured: 65 ms instead of 28 ms at 50,000 leads).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
    return f"analysed the {connection.vendor} database"


def task_results_prune() -> str:
    """Forget successful tasks past the newest TASK_RESULTS_KEPT (failures stay for whoever looks into them)."""
    kept = settings.TASK_RESULTS_KEPT
    newest = Success.objects.order_by("-stopped").values_list("stopped", flat=True)
    oldest_kept = list(newest[kept - 1 : kept]) if kept > 0 else [None]
    if not oldest_kept:
        return f"fewer than {kept} successful tasks: none forgotten"
    older = Success.objects.all() if oldest_kept[0] is None else Success.objects.filter(stopped__lt=oldest_kept[0])
    forgotten, _ = older.delete()
    return f"forgot {forgotten} successful tasks, kept the newest {kept}"
