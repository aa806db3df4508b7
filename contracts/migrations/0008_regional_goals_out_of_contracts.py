"""The region's 2050 goals were stored as a contract of kind ``regional_goals`` (with
an invented signing date) whose progress reports published the region's yearly
values. They become ``indicators.RegionalGoal`` rows, the region's validated values
stay (detached from the fake reports), and the contract, its reports and its targets
go — every change written to the history, as the services would have."""

from django.db import migrations
from django.utils import timezone

GOALS_KIND = "regional_goals"
# Values kept: published ones (validated, or superseded by a later validation).
PUBLISHED_STATUSES = ("validated", "superseded")


def _record(historical, obj, history_type, reason, when):
    """One history row of ``obj`` (as the history of a service's change would read)."""
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    historical.objects.create(
        **fields,
        history_date=when,
        history_type=history_type,
        history_change_reason=reason[:100],
        history_user_id=None,
    )


def goals_contracts_to_regional_goals(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Target = apps.get_model("contracts", "Target")
    ProgressReport = apps.get_model("contracts", "ProgressReport")
    IndicatorValue = apps.get_model("indicators", "IndicatorValue")
    RegionalGoal = apps.get_model("indicators", "RegionalGoal")
    history = {
        model: apps.get_model(app, f"Historical{model.__name__}")
        for app, model in [
            ("contracts", Contract),
            ("contracts", Target),
            ("contracts", ProgressReport),
            ("indicators", IndicatorValue),
            ("indicators", RegionalGoal),
        ]
    }
    now = timezone.now()
    for contract in Contract.objects.filter(kind=GOALS_KIND).order_by("pk"):
        reason = f"Objectifs régionaux, plus un contrat ({contract.reference})"
        # The furthest goal of an indicator when several targets share it.
        for target in Target.objects.filter(contract=contract).order_by("-target_year", "pk"):
            if RegionalGoal.objects.filter(
                territory_id=contract.territory_id, indicator_id=target.indicator_id
            ).exists():
                continue
            goal = RegionalGoal.objects.create(
                territory_id=contract.territory_id,
                indicator_id=target.indicator_id,
                baseline_year=target.baseline_year,
                baseline_value=target.baseline_value,
                target_year=target.target_year,
                target_value=target.target_value,
                entered_as=target.entered_as,
                relative_change=target.relative_change,
                adopted_by=contract.title[:300],
                is_demo=contract.is_demo,
            )
            _record(history[RegionalGoal], goal, "+", reason, now)
        values = IndicatorValue.objects.filter(report__contract=contract)
        for value in values.exclude(status__in=PUBLISHED_STATUSES):
            _record(history[IndicatorValue], value, "-", reason, now)
        values.exclude(status__in=PUBLISHED_STATUSES).delete()
        for value in values:
            value.report_id = None
            value.save(update_fields=["report"])
            _record(history[IndicatorValue], value, "~", reason, now)
        for report in ProgressReport.objects.filter(contract=contract):
            _record(history[ProgressReport], report, "-", reason, now)
            report.delete()
        for target in Target.objects.filter(contract=contract):
            _record(history[Target], target, "-", reason, now)
        _record(history[Contract], contract, "-", reason, now)
        contract.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0007_contractdocument_public_size"),
        ("indicators", "0012_regional_goal"),
    ]

    operations = [
        migrations.RunPython(goals_contracts_to_regional_goals, migrations.RunPython.noop),
    ]
