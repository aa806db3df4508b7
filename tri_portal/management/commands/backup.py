from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tri_portal import backups


class Command(BaseCommand):
    help = (
        "Sauvegarde la base (pg_dump ou copie SQLite) et les fichiers déposés, avec un "
        "manifeste de vérification."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Fichier de sauvegarde à écrire.")

    def handle(self, *args, output=None, **options):
        path = output or backups.default_path(backups.current_database())
        try:
            manifest = backups.backup(path)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            f"Sauvegarde écrite : {path} ({len(manifest['tables'])} tables, {rows} lignes)."
        )
        size = sum(entry["size"] for entry in manifest["media"])
        self.stdout.write(
            f"Fichiers déposés copiés : {backups.media_path(path)} "
            f"({len(manifest['media'])} fichiers, {size} octets)."
        )
