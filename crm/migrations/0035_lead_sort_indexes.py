"""The leads table's sorts read their first page from an index at a million leads: by name (ties newest first), by
score from the lowest, and on PostgreSQL by score and by deal value from the highest, empty ones last (an order
SQLite's indexes cannot state; it sorts its smaller tables)."""

from django.db import migrations, models

# (index, its columns): the table's order for "-score" and "-value", as crm.filters sorts them.
HIGHEST_FIRST_INDEXES = [
    ("lead_score_first", "score DESC NULLS LAST, id DESC"),
    ("lead_value_first", "deal_value DESC NULLS LAST, id DESC"),
]


def create_highest_first_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, columns in HIGHEST_FIRST_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{index}" ON "crm_lead" ({columns})')


def drop_highest_first_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _ in HIGHEST_FIRST_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0034_lead_name_search_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="lead", name="lead_name"),
        migrations.RemoveIndex(model_name="lead", name="lead_score"),
        migrations.AddIndex(model_name="lead", index=models.Index(fields=["last_name", "-id"], name="lead_name")),
        migrations.AddIndex(model_name="lead", index=models.Index(fields=["-score", "id"], name="lead_score")),
        migrations.RunPython(create_highest_first_indexes, drop_highest_first_indexes),
    ]
