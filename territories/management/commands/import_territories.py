from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from territories.importer import (
    DATA_DIR,
    TerritoryDataError,
    build_scope,
    import_scope,
    is_up_to_date,
    load_package,
)


class Command(BaseCommand):
    help = (
        "Importe le découpage administratif officiel (Etalab, COG 2026) : une région "
        "(par défaut 32, Hauts-de-France) ou toute la France avec --all."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--region",
            default=None,
            help=f"Code INSEE de la région (défaut : {settings.TERRITORIES_DEFAULT_REGION}).",
        )
        target.add_argument("--all", action="store_true", help="Toute la France.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Réimporter même si ces données ont déjà été importées pour ce périmètre.",
        )
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Dossier des données.")

    def handle(self, *args, region=None, all=False, force=False, data_dir=None, **options):
        region = None if all else (region or settings.TERRITORIES_DEFAULT_REGION)
        try:
            dataset = load_package(Path(data_dir))
            scope = build_scope(dataset, region)
        except TerritoryDataError as exc:
            raise CommandError(str(exc)) from exc

        if not force and is_up_to_date(dataset, scope.label):
            self.stdout.write(
                f"Territoires déjà à jour ({scope.label}, {dataset.version}) : rien à faire "
                "(--force pour réimporter)."
            )
            return
        run = import_scope(dataset, scope, stream=self.stderr)
        self.stdout.write(
            self.style.SUCCESS(
                f"Import terminé ({scope.label}, {run.data_version}) : "
                f"{run.territories_created} territoires créés, "
                f"{run.territories_updated} mis à jour, "
                f"{run.memberships_added} appartenances ajoutées, "
                f"{run.memberships_removed} retirées."
            )
        )
