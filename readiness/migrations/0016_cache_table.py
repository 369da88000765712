"""The database cache's table, so that `migrate` is all a deployment needs for the
cache every process shares (settings.CACHES, "db", the production default)."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # createcachetable does nothing when the table exists, or when no database cache
    # is configured; naming the table makes it exist whatever the current settings
    call_command("createcachetable", settings.CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("readiness", "0015_share_audit_actions")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
