from contextlib import nullcontext
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kit.console import quiet_loggers
from tri_portal.demo import (
    DEMO_ADMIN,
    ensure_demo_admin,
    load_demo_contracts,
    load_demo_territories,
)

# In embedded mode the demo's tasks run eagerly, each logging a line or two (over 300
# for the whole demo): `make run` shows them only with -v 2.
TASK_LOGGERS = ("celery.app.trace", "tri_portal.tasks")


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (idempotent) et, en mode DEBUG, "
        "le compte administrateur de démonstration."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="Jour de chargement simulé (AAAA-MM-JJ) : les dates des contrats en cours "
            "et des rapports en dépendent. Par défaut, aujourd'hui.",
        )

    def handle(self, *args, **options):
        with quiet_loggers(*TASK_LOGGERS) if options["verbosity"] < 2 else nullcontext():
            self.load(options["today"])
        if not settings.DEBUG:
            self.stdout.write("DEBUG désactivé : pas de compte de démonstration créé.")
        elif ensure_demo_admin():
            self.stdout.write(
                f"Compte de démonstration créé : {DEMO_ADMIN['username']} / {DEMO_ADMIN['password']}"
            )

    def load(self, today: date | None) -> None:
        try:
            syndicats = load_demo_territories()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Démo : {len(syndicats)} syndicat(s) et leurs membres à jour.")
        contracts = load_demo_contracts(today=today)
        self.stdout.write(
            f"Démo : {len(contracts)} contrat(s) créé(s) avec leurs objectifs et valeurs validées "
            "(données fictives marquées « démonstration »)."
        )
