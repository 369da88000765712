from django.db import migrations, models

# As readiness.models.summary_of: migrations cannot import the app's current code.
SUMMARY_KEYS = ("respondents", "roles", "determinants")


def fill_summaries(apps, schema_editor):
    """Every release written before the summary existed gets it, and the most people
    scored on a determinant, from its aggregates."""
    RoundRelease = apps.get_model("readiness", "RoundRelease")
    pks = list(RoundRelease.objects.values_list("pk", flat=True))
    # In chunks, read before written: SQLite does not isolate a query being iterated
    # from writes on the same connection.
    for start in range(0, len(pks), 200):
        chunk = RoundRelease.objects.filter(pk__in=pks[start : start + 200])
        for pk, aggregates in list(chunk.values_list("pk", "aggregates")):
            if all(key in aggregates for key in SUMMARY_KEYS):
                summary = {key: aggregates[key] for key in SUMMARY_KEYS}
                # as readiness.models.most_scored_of
                most = max((row["scored"] for row in summary["determinants"].values()), default=0)
                RoundRelease.objects.filter(pk=pk).update(summary=summary, most_scored=most)


class Migration(migrations.Migration):
    dependencies = [
        ("readiness", "0017_facility_deletion_can_be_undone"),
    ]

    operations = [
        migrations.AddField(
            model_name="roundrelease",
            name="summary",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="roundrelease",
            name="most_scored",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(fill_summaries, migrations.RunPython.noop, elidable=True),
    ]
