from django.db import migrations

SCHEDULES = [
    # name, kind, month, day: the report on year N is due by 30 June of N + 1
    ("Rappel annuel : rapports d'avancement à remplir", "due", "4", "1"),
    ("Relance : rapports d'avancement en retard", "late", "7", "1"),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, kind, month, day in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="0", hour="9", day_of_week="*", day_of_month=day, month_of_year=month,
            timezone="Europe/Paris",
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": "contracts.send_report_reminders",
                "crontab": crontab,
                "kwargs": f'{{"kind": "{kind}"}}',
                "enabled": True,
            },
        )


def unschedule(apps, schema_editor):
    names = [name for name, *_ in SCHEDULES]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0004_contract_stats"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
