"""Partners are found by the code they give out, and a share is an offer until the
partner accepts it. Shares made before this change were in force: they count as accepted
when they were made, so no partner loses what it sees."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F

import readiness.models


def fill_partner_codes(apps, schema_editor):
    new_code = readiness.models.new_partner_code
    Partner = apps.get_model("readiness", "Partner")
    taken = set()
    for pk in Partner.objects.order_by("pk").values_list("pk", flat=True):
        code = new_code()
        while code in taken:
            code = new_code()
        taken.add(code)
        Partner.objects.filter(pk=pk).update(share_code=code)


def accept_earlier_shares(apps, schema_editor):
    Share = apps.get_model("readiness", "Share")
    Share.objects.filter(accepted_at=None).update(accepted_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("readiness", "0013_round_short_code"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="partner",
            name="share_code",
            field=models.CharField(max_length=12, null=True),
        ),
        migrations.RunPython(fill_partner_codes, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="partner",
            name="share_code",
            field=models.CharField(
                default=readiness.models.new_partner_code, max_length=12, unique=True
            ),
        ),
        migrations.AddField(
            model_name="share",
            name="accepted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="share",
            name="accepted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(accept_earlier_shares, migrations.RunPython.noop, elidable=True),
    ]
