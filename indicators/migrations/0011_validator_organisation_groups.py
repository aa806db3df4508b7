from django.db import migrations

# indicators.organisations.VALIDATOR_ORGANISATIONS, as they were when written.
GROUPS = ("Région Hauts-de-France", "ADEME Hauts-de-France")


def create_groups(apps, schema_editor):
    """The groups that say which organisation a staff member validates for: staff put
    agents in one of them in the admin."""
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("indicators", "0010_aggregate_is_demo"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
