"""A lead deleted while crm_stagetotal is empty subtracts nothing: the leads are being wiped with their totals.

While any lead exists its stage and owner have a row (their count is at least one), so an empty totals table beside a
lead is a wipe in progress: SQLite's flush (tests, `manage.py flush`) deletes tables in no fixed order, and when the
totals went first the leads' delete trigger left negative rows behind, which a later restore refused as data and
which would have skewed the board of stages reusing those ids."""

import importlib

from django.db import migrations

stage_totals = importlib.import_module("crm.migrations.0029_stage_totals")

WIPE_GUARD = "EXISTS (SELECT 1 FROM crm_stagetotal)"

POSTGRES_DELETED = """
CREATE OR REPLACE FUNCTION crm_stage_totals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT {guard} THEN
        RETURN NULL;
    END IF;
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
    SELECT stage_id, COALESCE(owner_id, 0), -COUNT(*), -SUM(CENTS(deal_value))
    FROM old_leads GROUP BY 1, 2;
    RETURN NULL;
END $$;
"""
SQLITE_DELETED = """CREATE TRIGGER crm_lead_stage_totals_delete AFTER DELETE ON crm_lead WHEN {guard} BEGIN
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
    VALUES (OLD.stage_id, COALESCE(OLD.owner_id, 0), -1, -CENTS(OLD.deal_value));
END"""


def guard_add(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(stage_totals._cents(POSTGRES_DELETED.format(guard=WIPE_GUARD)))
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS crm_lead_stage_totals_delete")
        schema_editor.execute(stage_totals._cents(SQLITE_DELETED.format(guard=WIPE_GUARD)))


def guard_remove(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(stage_totals._cents(POSTGRES_DELETED.format(guard="TRUE")))
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS crm_lead_stage_totals_delete")
        schema_editor.execute(stage_totals._cents(SQLITE_DELETED.format(guard="1")))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0031_analytics_covering_indexes"),
    ]

    operations = [
        migrations.RunPython(guard_add, guard_remove),
    ]
