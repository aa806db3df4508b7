from django.db import migrations


def seed_themes(apps, schema_editor):
    from contracts.themes import sync_themes

    sync_themes(apps.get_model("contracts", "ContractTheme"))


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_initial")]

    operations = [migrations.RunPython(seed_themes, migrations.RunPython.noop)]
