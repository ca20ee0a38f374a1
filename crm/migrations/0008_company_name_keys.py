"""Companies saved before Company.save kept their name key had none, so imports found them by domain only."""

from django.db import migrations


def name_keys_fill(apps, schema_editor) -> None:
    from crm.normalize import company_key

    Company = apps.get_model("crm", "Company")
    companies = list(Company.objects.filter(name_key="").exclude(name="").only("pk", "name"))
    for company in companies:
        company.name_key = company_key(company.name)
    Company.objects.bulk_update(companies, ["name_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_import_heartbeat"),
    ]

    operations = [
        migrations.RunPython(name_keys_fill, migrations.RunPython.noop),
    ]
