"""Answers and determinant scores lose their single-column index on the respondent: the
unique index that begins with the respondent serves every lookup by it (docs/performance.md,
Query plans), and one index fewer is one less to write per answer.

Only the index is dropped. An AlterField would make Django drop and re-create the foreign
key on PostgreSQL (checking every answer while the table is locked) and rebuild both
tables on SQLite; the model state changes on its own.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("readiness_answer", "readiness_determinantscore")


def _respondent_index(connection, cursor, table):
    """The name of the table's non-unique index on respondent_id alone, if it has one."""
    for name, details in connection.introspection.get_constraints(cursor, table).items():
        if details["index"] and not details["unique"] and details["columns"] == ["respondent_id"]:
            return name
    return None


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            name = _respondent_index(connection, cursor, table)
            if name:
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if not _respondent_index(connection, cursor, table):
                name = schema_editor.quote_name(f"{table}_respondent_id_idx")
                schema_editor.execute(
                    f"CREATE INDEX {name} ON {schema_editor.quote_name(table)} (respondent_id)"
                )


class Migration(migrations.Migration):
    dependencies = [("readiness", "0019_two_step_audit_events")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="answer",
                    name="respondent",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="answers",
                        to="readiness.respondent",
                    ),
                ),
                migrations.AlterField(
                    model_name="determinantscore",
                    name="respondent",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="determinant_scores",
                        to="readiness.respondent",
                    ),
                ),
            ],
        )
    ]
