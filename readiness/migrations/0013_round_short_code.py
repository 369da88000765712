"""A short link for every round (models.SHORT_CODE_ALPHABET): the field is added
empty, every existing round gets a distinct code, then the field becomes required and
unique like link_token."""

from django.db import migrations, models

import readiness.models


def fill_short_codes(apps, schema_editor):
    """Give every round without a short code one that no other round has (a repeated
    draw, however unlikely, is drawn again)."""
    new_code = readiness.models.new_short_code  # looked up now, so that tests can repeat it
    Round = apps.get_model("readiness", "Round")
    taken = set(Round.objects.exclude(short_code=None).values_list("short_code", flat=True))
    for pk in Round.objects.filter(short_code=None).order_by("pk").values_list("pk", flat=True):
        code = new_code()
        while code in taken:
            code = new_code()
        taken.add(code)
        Round.objects.filter(pk=pk).update(short_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("readiness", "0012_longer_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="round",
            name="short_code",
            field=models.CharField(max_length=12, null=True),
        ),
        migrations.RunPython(fill_short_codes, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="round",
            name="short_code",
            field=models.CharField(
                default=readiness.models.new_short_code, max_length=12, unique=True
            ),
        ),
    ]
