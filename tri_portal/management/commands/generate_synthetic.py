import time

from django.core.management.base import BaseCommand, CommandError

from territories.importer import TerritoryDataError
from tri_portal import synthetic


class Command(BaseCommand):
    help = (
        "Génère des données synthétiques pour les mesures de performance : territoires "
        "officiels, contrats, objectifs, rapports et valeurs validées de "
        f"{len(synthetic.INDICATORS)} indicateurs pour chaque EPCI et commune "
        "(≈ 4,4 millions de valeurs pour toute la France). Déterministe pour une graine."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=synthetic.SCALES,
            default="region",
            help="tiny : l'Oise (essai rapide) ; region : les Hauts-de-France ; "
            "national : toute la France.",
        )
        parser.add_argument("--years", type=int, default=10, help="Nombre d'années (défaut 10).")
        parser.add_argument("--seed", type=int, default=1, help="Graine (défaut 1).")
        parser.add_argument(
            "--last-year",
            type=int,
            default=None,
            help="Dernière année générée (défaut : l'année dernière).",
        )

    def handle(self, *args, scale, years, seed, last_year, **options):
        if not 1 <= years <= 30:
            raise CommandError("--years : de 1 à 30 années.")
        if last_year is not None and not 2000 <= last_year <= synthetic.last_year_default():
            raise CommandError(
                f"--last-year : de 2000 à {synthetic.last_year_default()} (pas d'année future)."
            )
        if synthetic.already_generated():
            raise CommandError(
                "Des données synthétiques existent déjà dans cette base : utilisez une base neuve."
            )
        started = time.monotonic()
        try:
            summary = synthetic.generate(
                scale, years, seed, last_year=last_year, stream=self.stderr
            )
        except TerritoryDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Données synthétiques ({scale}, {years} ans, graine {seed}) : "
                f"{summary.territories} territoires, {summary.values} valeurs, "
                f"{summary.contracts} contrats, {summary.reports} rapports dont "
                f"{summary.submitted_reports} à valider — {time.monotonic() - started:.0f} s."
            )
        )
