"""Backups of the database: ``pg_dump`` (custom format) in full-stack mode, an online
copy of the SQLite file in embedded mode — each with a manifest (row count and SHA-256
of every table) that ``restore`` checks after restoring, so a backup that does not
restore identically is reported, not discovered on the day it is needed.

The uploaded files (contract documents, evidence of reports) are copied too, read
through Django's storage API (local volume or S3 alike) into ``<backup>.media/``; the
manifest lists each with its size and SHA-256. ``restore`` checks the copies against
the manifest before touching anything, writes them back through the storage API and
checks them again."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone


class BackupError(Exception):
    pass


@dataclass
class Database:
    vendor: str
    settings: dict

    @property
    def is_postgres(self) -> bool:
        return self.vendor == "postgresql"


def current_database() -> Database:
    return Database(connection.vendor, connections["default"].settings_dict)


def default_path(database: Database) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    suffix = "dump" if database.is_postgres else "sqlite3"
    return Path(settings.BASE_DIR) / "var" / "backups" / f"tri-{stamp}.{suffix}"


def _pg_env(db: dict) -> dict:
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command: list[str], env: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} est introuvable : installez le client PostgreSQL.")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} a échoué : {result.stderr.strip()[-500:]}")


def table_fingerprints() -> dict[str, dict]:
    """Row count and SHA-256 of the rows (in primary-key order) of every table."""
    fingerprints = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            quoted = connection.ops.quote_name(table)
            key = connection.introspection.get_primary_key_column(cursor, table)
            columns = (
                [key]
                if key
                else [c.name for c in connection.introspection.get_table_description(cursor, table)]
            )
            order = ", ".join(connection.ops.quote_name(column) for column in columns)
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY {order}")
            digest, count = hashlib.sha256(), 0
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    digest.update(repr(row).encode())
                    count += 1
            fingerprints[table] = {"rows": count, "sha256": digest.hexdigest()}
    return fingerprints


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def media_path(path: Path) -> Path:
    """The directory of the backup's copies of the uploaded files."""
    return path.with_name(path.name + ".media")


CHUNK = 1024 * 1024


def _digest(stream) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def stored_files(storage=None, directory: str = "") -> list[str]:
    """Every file of the storage (names as the storage knows them), sorted."""
    storage = storage or default_storage
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:  # nothing uploaded yet: the directory is not there
        return []
    names = [f"{directory}/{name}" if directory else name for name in files]
    for sub in directories:
        names += stored_files(storage, f"{directory}/{sub}" if directory else sub)
    return sorted(names)


def backup_media(path: Path) -> list[dict]:
    """Copy every stored file under ``media_path(path)``; their manifest entries."""
    target_root = media_path(path)
    entries = []
    for name in stored_files():
        target = target_root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, CHUNK)
        with target.open("rb") as copy:
            size, sha256 = _digest(copy)
        entries.append({"name": name, "size": size, "sha256": sha256})
    return entries


def _copy_of(path: Path, name: str) -> Path:
    root = media_path(path).resolve()
    copy = (root / name).resolve()
    if root not in copy.parents:
        raise BackupError(f"Nom de fichier refusé dans le manifeste : {name}")
    return copy


def check_media_copies(path: Path, entries: list[dict]) -> None:
    """Before anything is replaced: each copy is there with its size and SHA-256."""
    bad = []
    for entry in entries:
        copy = _copy_of(path, entry["name"])
        if not copy.is_file():
            bad.append(f"{entry['name']} (absent)")
            continue
        with copy.open("rb") as stream:
            if _digest(stream) != (entry["size"], entry["sha256"]):
                bad.append(f"{entry['name']} (taille ou empreinte différente)")
    if bad:
        raise BackupError(
            "Fichiers de la sauvegarde absents ou altérés, rien n'a été modifié : " + ", ".join(bad)
        )


def restore_media(path: Path, entries: list[dict]) -> list[str]:
    """Write the copies back through the storage API; the files that then differ from
    the manifest (empty: identical)."""
    different = []
    for entry in entries:
        name = entry["name"]
        if default_storage.exists(name):
            default_storage.delete(name)
        with _copy_of(path, name).open("rb") as copy:
            saved = default_storage.save(name, File(copy, name=name))
        with default_storage.open(saved, "rb") as stream:
            if saved != name or _digest(stream) != (entry["size"], entry["sha256"]):
                different.append(f"fichier {name}")
    return different


def backup(path: Path) -> dict:
    database = current_database()
    path.parent.mkdir(parents=True, exist_ok=True)
    fingerprints = table_fingerprints()
    if database.is_postgres:
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path)],
            _pg_env(database.settings),
        )
    else:
        source = sqlite3.connect(database.settings["NAME"])
        target = sqlite3.connect(path)
        with target:
            source.backup(target)  # consistent even while the portal writes
        source.close()
        target.close()
    manifest = {
        "created_at": timezone.now().isoformat(),
        "engine": database.vendor,
        "file": path.name,
        "tables": fingerprints,
        "media": backup_media(path),
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def restore(path: Path) -> list[str]:
    """Replace the current database by the backup; returns the tables that differ from
    the backup's manifest (empty: identical)."""
    if not path.is_file():
        raise BackupError(f"Sauvegarde introuvable : {path}")
    if not manifest_path(path).is_file():  # checked before anything is replaced
        raise BackupError(
            f"Manifeste introuvable : {manifest_path(path)} (restauration non vérifiable, "
            "rien n'a été modifié)."
        )
    media = json.loads(manifest_path(path).read_text()).get("media", [])
    check_media_copies(path, media)
    database = current_database()
    connection.close()
    if database.is_postgres:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--dbname",
                database.settings["NAME"],
                str(path),
            ],
            _pg_env(database.settings),
        )
    else:
        source = sqlite3.connect(path)
        target = sqlite3.connect(database.settings["NAME"])
        with target:
            source.backup(target)
        source.close()
        target.close()
    return verify(path) + restore_media(path, media)


def verify(path: Path) -> list[str]:
    manifest_file = manifest_path(path)
    if not manifest_file.is_file():
        raise BackupError(f"Manifeste introuvable : {manifest_file} (vérification impossible).")
    expected = json.loads(manifest_file.read_text())["tables"]
    actual = table_fingerprints()
    return sorted(
        table for table in set(expected) | set(actual) if expected.get(table) != actual.get(table)
    )
