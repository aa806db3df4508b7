from django.core.management.base import BaseCommand, CommandError

from indicators.aggregation import recompute, recompute_all, recompute_pending
from indicators.models import Aggregate, Indicator


class Command(BaseCommand):
    help = (
        "Recalcule les agrégats (région, départements, syndicats, EPCI) sans double compte. "
        "Sans option : tout ; --pending : seulement le travail laissé par les validations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--indicator", action="append", help="Identifiant (répétable), ex. cae_2.a"
        )
        parser.add_argument("--year", action="append", type=int, help="Année (répétable)")
        parser.add_argument(
            "--pending", action="store_true", help="Seulement les recalculs en attente."
        )

    def handle(self, *args, indicator=None, year=None, pending=False, **options):
        if pending:
            run = recompute_pending(trigger="command", stream=self.stderr)
            if run is None:
                self.stdout.write("Aucun recalcul en attente.")
                return
        elif indicator or year:
            indicators = None
            if indicator:
                found = Indicator.objects.filter(identifier__in=indicator)
                unknown = sorted(set(indicator) - {i.identifier for i in found})
                if unknown:
                    raise CommandError(f"Indicateur inconnu : {', '.join(unknown)}.")
                indicators = list(found)
            run = recompute(
                indicators=indicators, years=year, trigger="command", stream=self.stderr
            )
        else:
            run = recompute_all(trigger="command", stream=self.stderr)
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"Agrégats recalculés en {seconds:.1f} s : {run.indicators} indicateur(s), "
                f"{run.aggregates_written} agrégat(s) écrit(s), {run.conflicts} chevauchement(s) "
                f"écarté(s), {run.pending_handled} recalcul(s) en attente traité(s). "
                f"Total en base : {Aggregate.objects.count()} agrégats."
            )
        )
