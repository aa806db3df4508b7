from contextlib import nullcontext
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from contracts import tasks as contract_tasks
from contracts.stats import contract_stats_deferred
from kit.console import quiet_loggers
from kit.tasks import tasks_held
from tri_portal.demo import (
    DEMO_ADMIN,
    ensure_demo_admin,
    load_demo_contracts,
    load_demo_territories,
)

# In embedded mode the demo's tasks run eagerly, each logging a line or two (over 300
# for the whole demo): `make run` shows them only with -v 2.
TASK_LOGGERS = ("celery.app.trace", "tri_portal.tasks")
# The demo's reports go through the workflow services, which e-mail the officers and
# staff at each step: a demo load e-mails no one.
SILENT_TASKS = (
    contract_tasks.notify_report_submitted.name,
    contract_tasks.notify_report_reviewed.name,
)


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
        # Each report validated schedules a recompute of what it touched: held until the
        # end, they are one recompute (and one of each other job), not a hundred. The
        # dashboards' contract figures likewise: refreshed once at the end.
        with (
            quiet_loggers(*TASK_LOGGERS) if options["verbosity"] < 2 else nullcontext(),
            tasks_held(drop=SILENT_TASKS),
            contract_stats_deferred(),
        ):
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
