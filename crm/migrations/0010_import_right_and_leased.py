"""Imports made right: kinds of reported rows (skipped ones linked to their lead), leases on jobs, a phone region
per job, other emails and phones kept on leads (searched through a trigram index on PostgreSQL), imported notes
and tags undoable."""

import django.db.models.deletion
from django.db import migrations, models


def warnings_from_flag(apps, schema_editor) -> None:
    apps.get_model("crm", "ImportRejection").objects.filter(row_rejected=False).update(kind="warning")


def flag_from_kind(apps, schema_editor) -> None:
    apps.get_model("crm", "ImportRejection").objects.exclude(kind="rejected").update(row_rejected=False)


# icontains compares UPPER(column::text), so that is what is indexed (as in 0003).
OTHER_CONTACTS = [("lead_other_emails_trgm", "other_emails"), ("lead_other_phones_trgm", "other_phones")]


def other_contacts_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for index, column in OTHER_CONTACTS:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "crm_lead" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def other_contacts_index_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for index, _column in OTHER_CONTACTS:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_colleagues_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="importchange",
            name="added",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="importjob",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="lease_owner",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="importjob",
            name="region",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="importrejection",
            name="kind",
            field=models.CharField(
                choices=[("rejected", "rejected"), ("warning", "imported without this value"), ("skipped", "skipped")],
                default="rejected",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="importrejection",
            name="lead",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="crm.lead"
            ),
        ),
        migrations.AddField(
            model_name="lead",
            name="other_emails",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="lead",
            name="other_phones",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="note",
            name="import_job",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="crm.importjob",
            ),
        ),
        migrations.RunPython(warnings_from_flag, flag_from_kind),
        migrations.RemoveField(
            model_name="importrejection",
            name="row_rejected",
        ),
        migrations.RunPython(other_contacts_index, other_contacts_index_drop),
    ]
