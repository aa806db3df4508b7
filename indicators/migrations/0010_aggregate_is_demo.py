from django.db import migrations, models


def label_existing_aggregates(apps, schema_editor):
    """Until the next recompute says exactly which aggregates sum demonstration values,
    label every aggregate of an indicator and year that has one (never fewer than the
    recompute will)."""
    Aggregate = apps.get_model("indicators", "Aggregate")
    IndicatorValue = apps.get_model("indicators", "IndicatorValue")
    demo = set(
        IndicatorValue.objects.filter(status="validated", is_demo=True)
        .values_list("indicator_id", "year")
        .distinct()
    )
    for indicator_id, year in demo:
        Aggregate.objects.filter(indicator_id=indicator_id, year=year).update(is_demo=True)
    # Derived indicators (ratios) are aggregated from their components.
    derived = list(
        apps.get_model("indicators", "Indicator")
        .objects.exclude(formula="")
        .values_list("pk", flat=True)
    )
    Aggregate.objects.filter(indicator_id__in=derived, year__in={y for _i, y in demo}).update(
        is_demo=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0009_pending_recompute_replaced"),
    ]

    operations = [
        migrations.AddField(
            model_name="aggregate",
            name="is_demo",
            field=models.BooleanField(
                default=False,
                help_text="Vrai dès qu'une des valeurs additionnées est une donnée de démonstration.",
                verbose_name="donnée de démonstration",
            ),
        ),
        migrations.RunPython(label_existing_aggregates, migrations.RunPython.noop),
    ]
