from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tri_portal import backups


class Command(BaseCommand):
    help = "Remplace la base par une sauvegarde, puis vérifie chaque table contre son manifeste."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Fichier écrit par `manage.py backup`.")
        parser.add_argument(
            "--noinput", action="store_true", help="Ne pas demander de confirmation."
        )

    def handle(self, *args, path, noinput=False, **options):
        if not noinput:
            answer = input(
                f"Toutes les données actuelles seront remplacées par {path}. Continuer ? [oui/non] "
            )
            if answer.strip().lower() not in ("oui", "o", "yes", "y"):
                raise CommandError("Restauration annulée : rien n'a changé.")
        try:
            different = backups.restore(path)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if different:
            raise CommandError(
                "Restauration faite mais différente de la sauvegarde pour : " + ", ".join(different)
            )
        self.stdout.write("Restauration vérifiée : chaque table est identique à la sauvegarde.")
