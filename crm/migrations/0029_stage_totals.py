"""Per-stage totals of leads kept by the database (crm.models.StageTotal), so the board sums a few rows rather than a
million leads: triggers on crm_lead append a change for every insert, move, reassignment, value change and delete.

PostgreSQL: statement triggers with transition tables, so a COPY or bulk update of thousands of leads appends one row
per stage and owner, and concurrent writers only append (no row is updated: no lock waits, no deadlocks).
SQLite has only row triggers; it has one writer at a time anyway. The table starts from the leads already there.
"""

import re

from django.db import migrations, models


def _cents(sql: str) -> str:
    """CENTS(column) in the SQL below: a deal value as whole cents (0 when empty), which add up exactly."""
    return re.sub(r"CENTS\(([\w.]+)\)", r"CAST(ROUND(COALESCE(\1, 0) * 100) AS BIGINT)", sql)


# One row per lead changed: its old place out, its new place in; only changes of stage, owner or value count.
POSTGRES_FUNCTIONS = """
CREATE FUNCTION crm_stage_totals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
    SELECT stage_id, COALESCE(owner_id, 0), COUNT(*), SUM(CENTS(deal_value))
    FROM new_leads GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE FUNCTION crm_stage_totals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
    SELECT stage_id, COALESCE(owner_id, 0), -COUNT(*), -SUM(CENTS(deal_value))
    FROM old_leads GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE FUNCTION crm_stage_totals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
    SELECT place.stage_id, place.owner_key, SUM(place.leads), SUM(place.cents)
    FROM old_leads o JOIN new_leads n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES
        (o.stage_id, COALESCE(o.owner_id, 0), -1, -CENTS(o.deal_value)),
        (n.stage_id, COALESCE(n.owner_id, 0), 1, CENTS(n.deal_value))
    ) AS place (stage_id, owner_key, leads, cents)
    WHERE o.stage_id IS DISTINCT FROM n.stage_id OR o.owner_id IS DISTINCT FROM n.owner_id
        OR o.deal_value IS DISTINCT FROM n.deal_value
    GROUP BY 1, 2
    HAVING SUM(place.leads) <> 0 OR SUM(place.cents) <> 0;
    RETURN NULL;
END $$;
CREATE FUNCTION crm_stage_totals_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM crm_stagetotal;
    RETURN NULL;
END $$;
CREATE TRIGGER crm_lead_stage_totals_insert AFTER INSERT ON crm_lead
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION crm_stage_totals_inserted();
CREATE TRIGGER crm_lead_stage_totals_delete AFTER DELETE ON crm_lead
    REFERENCING OLD TABLE AS old_leads FOR EACH STATEMENT EXECUTE FUNCTION crm_stage_totals_deleted();
CREATE TRIGGER crm_lead_stage_totals_update AFTER UPDATE ON crm_lead
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads FOR EACH STATEMENT
    EXECUTE FUNCTION crm_stage_totals_updated();
CREATE TRIGGER crm_lead_stage_totals_truncate AFTER TRUNCATE ON crm_lead
    FOR EACH STATEMENT EXECUTE FUNCTION crm_stage_totals_truncated();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS crm_lead_stage_totals_insert ON crm_lead;
DROP TRIGGER IF EXISTS crm_lead_stage_totals_delete ON crm_lead;
DROP TRIGGER IF EXISTS crm_lead_stage_totals_update ON crm_lead;
DROP TRIGGER IF EXISTS crm_lead_stage_totals_truncate ON crm_lead;
DROP FUNCTION IF EXISTS crm_stage_totals_inserted();
DROP FUNCTION IF EXISTS crm_stage_totals_deleted();
DROP FUNCTION IF EXISTS crm_stage_totals_updated();
DROP FUNCTION IF EXISTS crm_stage_totals_truncated();
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER crm_lead_stage_totals_insert AFTER INSERT ON crm_lead BEGIN
        INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
        VALUES (NEW.stage_id, COALESCE(NEW.owner_id, 0), 1, CENTS(NEW.deal_value));
    END""",
    """CREATE TRIGGER crm_lead_stage_totals_delete AFTER DELETE ON crm_lead BEGIN
        INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
        VALUES (OLD.stage_id, COALESCE(OLD.owner_id, 0), -1, -CENTS(OLD.deal_value));
    END""",
    """CREATE TRIGGER crm_lead_stage_totals_update AFTER UPDATE OF stage_id, owner_id, deal_value ON crm_lead
    WHEN OLD.stage_id IS NOT NEW.stage_id OR OLD.owner_id IS NOT NEW.owner_id OR OLD.deal_value IS NOT NEW.deal_value
    BEGIN
        INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents) VALUES
            (OLD.stage_id, COALESCE(OLD.owner_id, 0), -1, -CENTS(OLD.deal_value)),
            (NEW.stage_id, COALESCE(NEW.owner_id, 0), 1, CENTS(NEW.deal_value));
    END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS crm_lead_stage_totals_{event}" for event in ("insert", "delete", "update")]
INITIAL_TOTALS = """
INSERT INTO crm_stagetotal (stage_id, owner_key, leads, cents)
SELECT stage_id, COALESCE(owner_id, 0), COUNT(*), SUM(CENTS(deal_value)) FROM crm_lead GROUP BY 1, 2
"""


def triggers_create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Taken before the leads are summed, so that no write lands between the sum and the triggers.
        schema_editor.execute("LOCK TABLE crm_lead IN SHARE MODE")
        schema_editor.execute(_cents(POSTGRES_FUNCTIONS))
    else:
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(_cents(statement))
    schema_editor.execute(_cents(INITIAL_TOTALS))


def triggers_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0028_importjob_fed_by_caller"),
    ]

    operations = [
        migrations.CreateModel(
            name="StageTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stage_id", models.IntegerField()),
                ("owner_key", models.IntegerField()),
                ("leads", models.BigIntegerField()),
                ("cents", models.BigIntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["stage_id", "owner_key", "leads", "cents"], name="stagetotal_sums")],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
