"""The stage totals count contacts too (leads in the "contact" lifecycle), so the dashboard's Contacts and Leads read
a few rows instead of grouping every visible lead; and the open-task index ends with the id, so a person's ten
soonest overdue tasks (ordered by due time, then id) are read in index order.

The triggers of 0029 (and 0032's guard on wipes) are written again with the new column; a change of lifecycle now
counts as a change. The totals are counted again from the leads, under a lock on PostgreSQL."""

import importlib
import re

from django.db import migrations, models

stage_totals = importlib.import_module("crm.migrations.0029_stage_totals")
wipes = importlib.import_module("crm.migrations.0032_stage_totals_skip_wipes")


def _macros(sql: str) -> str:
    """CENTS(column) as in 0029; CONTACT(row): 1 when the row's lead is a contact, else 0."""
    sql = re.sub(r"CONTACT\((\w+)\)", r"CASE WHEN \1.lifecycle = 'contact' THEN 1 ELSE 0 END", sql)
    return stage_totals._cents(sql)


POSTGRES_FUNCTIONS = """
CREATE OR REPLACE FUNCTION crm_stage_totals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts)
    SELECT stage_id, COALESCE(owner_id, 0), COUNT(*), SUM(CENTS(deal_value)), SUM(CONTACT(new_leads))
    FROM new_leads GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION crm_stage_totals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM crm_stagetotal) THEN
        RETURN NULL;
    END IF;
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts)
    SELECT stage_id, COALESCE(owner_id, 0), -COUNT(*), -SUM(CENTS(deal_value)), -SUM(CONTACT(old_leads))
    FROM old_leads GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION crm_stage_totals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts)
    SELECT place.stage_id, place.owner_key, SUM(place.leads), SUM(place.cents), SUM(place.contacts)
    FROM old_leads o JOIN new_leads n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES
        (o.stage_id, COALESCE(o.owner_id, 0), -1, -CENTS(o.deal_value), -CONTACT(o)),
        (n.stage_id, COALESCE(n.owner_id, 0), 1, CENTS(n.deal_value), CONTACT(n))
    ) AS place (stage_id, owner_key, leads, cents, contacts)
    WHERE o.stage_id IS DISTINCT FROM n.stage_id OR o.owner_id IS DISTINCT FROM n.owner_id
        OR o.deal_value IS DISTINCT FROM n.deal_value OR o.lifecycle IS DISTINCT FROM n.lifecycle
    GROUP BY 1, 2
    HAVING SUM(place.leads) <> 0 OR SUM(place.cents) <> 0 OR SUM(place.contacts) <> 0;
    RETURN NULL;
END $$;
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER crm_lead_stage_totals_insert AFTER INSERT ON crm_lead BEGIN
        INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts)
        VALUES (NEW.stage_id, COALESCE(NEW.owner_id, 0), 1, CENTS(NEW.deal_value), CONTACT(NEW));
    END""",
    """CREATE TRIGGER crm_lead_stage_totals_delete AFTER DELETE ON crm_lead WHEN EXISTS (SELECT 1 FROM crm_stagetotal) BEGIN
        INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts)
        VALUES (OLD.stage_id, COALESCE(OLD.owner_id, 0), -1, -CENTS(OLD.deal_value), -CONTACT(OLD));
    END""",
    """CREATE TRIGGER crm_lead_stage_totals_update AFTER UPDATE OF stage_id, owner_id, deal_value, lifecycle ON crm_lead
    WHEN OLD.stage_id IS NOT NEW.stage_id OR OLD.owner_id IS NOT NEW.owner_id OR OLD.deal_value IS NOT NEW.deal_value
        OR OLD.lifecycle IS NOT NEW.lifecycle
    BEGIN
        INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts) VALUES
            (OLD.stage_id, COALESCE(OLD.owner_id, 0), -1, -CENTS(OLD.deal_value), -CONTACT(OLD)),
            (NEW.stage_id, COALESCE(NEW.owner_id, 0), 1, CENTS(NEW.deal_value), CONTACT(NEW));
    END""",
]
RECOUNT = """
INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents, contacts)
SELECT stage_id, COALESCE(owner_id, 0), COUNT(*), SUM(CENTS(deal_value)), SUM(CONTACT(crm_lead))
FROM crm_lead GROUP BY 1, 2
"""


def sqlite_triggers_drop(apps, schema_editor) -> None:
    """SQLite rebuilds a table to add a column, and refuses to while triggers name it: they go first."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in stage_totals.SQLITE_DROP:
            schema_editor.execute(statement)


def sqlite_triggers_restore(apps, schema_editor) -> None:
    """Back to 0032's SQLite triggers, counted again (the column is gone by now)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DELETE FROM crm_stagetotal")
        stage_totals.triggers_create(apps, schema_editor)
        wipes.guard_add(apps, schema_editor)


def triggers_with_contacts(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("LOCK TABLE crm_lead IN SHARE MODE")
        schema_editor.execute(_macros(POSTGRES_FUNCTIONS))
    else:
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(_macros(statement))
    schema_editor.execute("DELETE FROM crm_stagetotal")
    schema_editor.execute(_macros(RECOUNT))


def triggers_without_contacts(apps, schema_editor) -> None:
    """PostgreSQL: back to 0032's functions, counted again; SQLite: no triggers until the column is gone."""
    stage_totals.triggers_drop(apps, schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DELETE FROM crm_stagetotal")
        stage_totals.triggers_create(apps, schema_editor)
        wipes.guard_add(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0032_stage_totals_skip_wipes"),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers_drop, sqlite_triggers_restore),
        migrations.AddField(
            model_name="stagetotal",
            name="contacts",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RemoveIndex(model_name="stagetotal", name="stagetotal_sums"),
        migrations.AddIndex(
            model_name="stagetotal",
            index=models.Index(fields=["stage_id", "owner_key", "leads", "cents", "contacts"], name="stagetotal_sums"),
        ),
        migrations.RunPython(triggers_with_contacts, triggers_without_contacts),
        migrations.RemoveIndex(model_name="task", name="task_assignee_due"),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["assignee", "done", "due_at", "id"], name="task_assignee_due"),
        ),
    ]
