"""Trigram indexes for the leads search on PostgreSQL; other databases keep scanning, as before.

They index UPPER(column) because that is what `icontains` compares: UPPER("column"::text) LIKE UPPER(%s).
"""

from django.db import migrations

# (index, table, column)
TRIGRAM_INDEXES = [
    ("lead_first_name_trgm", "crm_lead", "first_name"),
    ("lead_last_name_trgm", "crm_lead", "last_name"),
    ("lead_email_trgm", "crm_lead", "email"),
    ("company_name_trgm", "crm_company", "name"),
]


def create_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" USING gin (UPPER("{column}") gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _, _ in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_lead_lead_stage_owner_value"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
