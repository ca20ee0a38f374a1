"""The table of the database cache (settings.CACHES when no CACHE_URL or REDIS_URL is set), which holds allauth's
login lockout counts for every process; created whatever the cache setting, so switching to it needs no step."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor) -> None:
    alias = schema_editor.connection.alias
    call_command("createcachetable", settings.DATABASE_CACHE_TABLE, database=alias, verbosity=0)


def cache_table_drop(apps, schema_editor) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.DATABASE_CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0010_import_right_and_leased")]

    operations = [migrations.RunPython(cache_table_create, cache_table_drop)]
