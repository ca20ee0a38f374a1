"""The daily statistics job gives SQLite's planner what PostgreSQL's autovacuum gathers by itself."""

import pytest
from django.db import connection

from leadflow.maintenance import database_optimize
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_it_gathers_planner_statistics():
    LeadFactory.create_batch(3)
    assert database_optimize() == f"analysed the {connection.vendor} database"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'crm_lead'")
        else:
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'crm_lead'")
        assert cursor.fetchone()[0] > 0
