"""Backups that restore: `manage.py backup` then `manage.py restore` (and the documented
`make backup` / `make restore`) on a database with the demo data, in fresh processes,
compared table by table with fingerprints computed here, independently of the
portal's own manifest."""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (ROOT / "tri_portal" / "settings.py").read_text()
APP_VARIABLES = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', SETTINGS_SOURCE))
VERIFIED = "Restauration vérifiée : chaque table est identique à la sauvegarde."


def app_env(database_url: str, media_root: Path | None = None, **overrides) -> dict:
    """A fresh process on ``database_url`` only (tasks eager, mail kept in memory, the
    uploaded files in ``media_root`` — by default a ``media`` directory beside a SQLite
    database, a new temporary one otherwise), whatever the environment of the test run."""
    if media_root is None:
        url = urlsplit(database_url)
        media_root = (
            Path(url.path).with_name(Path(url.path).stem + "-media")
            if url.scheme == "sqlite"
            else Path(tempfile.mkdtemp(prefix="tri-media-"))
        )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in APP_VARIABLES and not key.startswith(("MAKE", "MFLAGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tri_portal.settings",
        DATABASE_URL=database_url,
        SECRET_KEY="t-" + uuid.uuid4().hex * 2,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=str(media_root),
    )
    env.update(overrides)
    return env


def manage(env: dict, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def digest(rows) -> tuple[int, str]:
    lines = sorted(repr(tuple(row)) for row in rows)
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


# --- SQLite (embedded mode) -------------------------------------------------------------


def sqlite_state(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and digest of every table, SQLite's own included (autoincrement
    counters), and of the schema."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        state = {table: digest(connection.execute(f'SELECT * FROM "{table}"')) for table in tables}
        state["<schema>"] = digest(connection.execute("SELECT type, name, sql FROM sqlite_master"))
        return state
    finally:
        connection.close()


CONVENTION = b"%PDF-1.4\n% convention signee\n"


def media_state(root: Path) -> dict[str, bytes]:
    return {
        file.relative_to(root).as_posix(): file.read_bytes()
        for file in sorted(root.rglob("*"))
        if file.is_file()
    }


def copy_backup(backup: Path, target: Path) -> None:
    """The backup file and its copies of the uploaded files (not its manifest)."""
    shutil.copyfile(backup, target)
    shutil.copytree(
        backup.with_name(backup.name + ".media"), target.with_name(target.name + ".media")
    )


def tamper_sqlite(path: Path) -> None:
    """Update a row, delete another, insert one."""
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            "UPDATE auth_user SET email = 'pirate@example.org' WHERE username = 'referent.fourmies'"
        )
        connection.execute(
            "DELETE FROM indicators_aggregate WHERE id = (SELECT MIN(id) FROM indicators_aggregate)"
        )
        connection.execute("INSERT INTO auth_group (name) VALUES ('intrus')")
    connection.close()


def email_of(path: Path, username: str) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT email FROM auth_user WHERE username = ?", (username,)
        ).fetchone()[0]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def demo_backup(tmp_path_factory):
    """A SQLite database with the demo data, its backup (written once), and the state
    of the database at the time of the backup."""
    tmp = tmp_path_factory.mktemp("backups")
    database = tmp / "demo.sqlite3"
    env = app_env(f"sqlite:///{database}")
    for command in (["migrate", "--noinput"], ["import_territories"], ["load_demo"]):
        ok(manage(env, *command))
    media = Path(env["MEDIA_ROOT"])
    document = media / "contracts" / "2017" / "convention.pdf"  # as the admin stores one
    document.parent.mkdir(parents=True)
    document.write_bytes(CONVENTION)
    backup = tmp / "sauvegardes" / "tri.sqlite3"
    output = ok(manage(env, "backup", "--output", str(backup)))
    return {
        "database": database,
        "backup": backup,
        "state": sqlite_state(database),
        "out": output,
        "media": media_state(media),
    }


@pytest.fixture
def live(demo_backup, tmp_path):
    """A copy of the demo database, changed since the backup."""
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(demo_backup["database"], database)
    tamper_sqlite(database)
    assert sqlite_state(database) != demo_backup["state"]
    return database


def test_the_backup_is_a_copy_with_a_manifest_of_every_table(demo_backup):
    backup, state = demo_backup["backup"], demo_backup["state"]
    manifest = json.loads(backup.with_name(backup.name + ".json").read_text())

    tables = {name for name in state if not name.startswith(("sqlite_", "<"))}
    assert manifest["engine"] == "sqlite"
    assert manifest["file"] == "tri.sqlite3"
    assert set(manifest["tables"]) == tables
    assert {name: entry["rows"] for name, entry in manifest["tables"].items()} == {
        name: state[name][0] for name in tables
    }
    assert manifest["tables"]["contracts_contract"]["rows"] > 0  # the demo is in it
    assert sqlite_state(backup) == state
    rows = sum(state[name][0] for name in tables)
    assert (
        f"Sauvegarde écrite : {backup} ({len(tables)} tables, {rows} lignes)."
        in (demo_backup["out"])
    )


def test_restore_brings_back_exactly_the_backed_up_data(demo_backup, live):
    result = manage(
        app_env(f"sqlite:///{live}"), "restore", str(demo_backup["backup"]), "--noinput"
    )

    assert ok(result).strip() == VERIFIED
    assert sqlite_state(live) == demo_backup["state"]
    assert email_of(live, "referent.fourmies") == "referent.fourmies@example.org"


def test_the_manifest_lists_every_uploaded_file_with_its_size_and_sha256(demo_backup):
    backup = demo_backup["backup"]
    manifest = json.loads(backup.with_name(backup.name + ".json").read_text())

    files = demo_backup["media"]
    assert "contracts/2017/convention.pdf" in files
    assert any(name.startswith("evidence/") for name in files)  # the demo's evidence
    assert manifest["media"] == [
        {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in files.items()
    ]
    assert media_state(backup.with_name("tri.sqlite3.media")) == files
    assert f"({len(files)} fichiers," in demo_backup["out"]


def test_restore_brings_back_the_uploaded_files(demo_backup, live, tmp_path):
    media = tmp_path / "media"
    (media / "contracts" / "2017").mkdir(parents=True)
    (media / "contracts" / "2017" / "convention.pdf").write_bytes(b"%PDF-1.4\n% autre\n")

    result = manage(
        app_env(f"sqlite:///{live}", media), "restore", str(demo_backup["backup"]), "--noinput"
    )

    assert ok(result).strip() == VERIFIED
    assert media_state(media) == demo_backup["media"]


@pytest.mark.fault
def test_an_altered_file_copy_fails_the_restore_before_anything_changes(
    demo_backup, live, tmp_path
):
    backup = tmp_path / "copie.sqlite3"
    copy_backup(demo_backup["backup"], backup)
    shutil.copyfile(
        demo_backup["backup"].with_name("tri.sqlite3.json"), tmp_path / "copie.sqlite3.json"
    )
    (tmp_path / "copie.sqlite3.media" / "contracts" / "2017" / "convention.pdf").write_bytes(
        b"<html>remplace</html>"
    )
    before, media = sqlite_state(live), tmp_path / "media"

    result = manage(app_env(f"sqlite:///{live}", media), "restore", str(backup), "--noinput")

    assert result.returncode != 0
    assert (
        "Fichiers de la sauvegarde absents ou altérés, rien n'a été modifié : "
        "contracts/2017/convention.pdf (taille ou empreinte différente)"
    ) in result.stderr
    assert sqlite_state(live) == before
    assert not media.exists()


@pytest.mark.fault
def test_a_tampered_manifest_fails_the_restore_naming_the_table(demo_backup, live, tmp_path):
    backup = tmp_path / "copie.sqlite3"
    copy_backup(demo_backup["backup"], backup)
    manifest = json.loads(demo_backup["backup"].with_name("tri.sqlite3.json").read_text())
    manifest["tables"]["contracts_target"]["rows"] += 1
    backup.with_name("copie.sqlite3.json").write_text(json.dumps(manifest))

    result = manage(app_env(f"sqlite:///{live}"), "restore", str(backup), "--noinput")

    assert result.returncode != 0
    assert (
        "Restauration faite mais différente de la sauvegarde pour : contracts_target"
        in result.stderr
    )
    assert VERIFIED not in result.stdout


@pytest.mark.fault
def test_a_corrupted_backup_file_fails_the_restore_naming_the_table(demo_backup, live, tmp_path):
    backup = tmp_path / "copie.sqlite3"
    copy_backup(demo_backup["backup"], backup)
    shutil.copyfile(
        demo_backup["backup"].with_name("tri.sqlite3.json"), tmp_path / "copie.sqlite3.json"
    )
    connection = sqlite3.connect(backup)
    with connection:
        connection.execute("UPDATE indicators_indicatorvalue SET value = value + 1")
    connection.close()

    result = manage(app_env(f"sqlite:///{live}"), "restore", str(backup), "--noinput")

    assert result.returncode != 0
    assert "différente de la sauvegarde pour : indicators_indicatorvalue" in result.stderr


@pytest.mark.fault
@pytest.mark.parametrize("answer", ["non", "", "peut-être"])
def test_restore_asks_first_and_anything_but_yes_changes_nothing(demo_backup, live, answer):
    before = sqlite_state(live)

    result = manage(
        app_env(f"sqlite:///{live}"), "restore", str(demo_backup["backup"]), stdin=f"{answer}\n"
    )

    assert result.returncode != 0
    assert "Toutes les données actuelles seront remplacées par" in result.stdout
    assert "Restauration annulée : rien n'a changé." in result.stderr
    assert sqlite_state(live) == before


@pytest.mark.fault
def test_a_missing_backup_is_reported_and_changes_nothing(live, tmp_path):
    before = sqlite_state(live)

    result = manage(
        app_env(f"sqlite:///{live}"), "restore", str(tmp_path / "absente.sqlite3"), "--noinput"
    )

    assert result.returncode != 0
    assert "Sauvegarde introuvable" in result.stderr
    assert sqlite_state(live) == before


@pytest.mark.fault
def test_a_backup_without_its_manifest_is_refused_before_anything_changes(
    demo_backup, live, tmp_path
):
    backup = tmp_path / "sans-manifeste.sqlite3"
    shutil.copyfile(demo_backup["backup"], backup)
    before = sqlite_state(live)

    result = manage(app_env(f"sqlite:///{live}"), "restore", str(backup), "--noinput")

    assert result.returncode != 0
    assert "Manifeste introuvable" in result.stderr
    assert sqlite_state(live) == before


def make(env: dict, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The documented command; the virtualenv is the one running the tests (not
    reinstalled: -o marks its stamp as up to date)."""
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_backup_and_make_restore_round_trip(demo_backup, tmp_path):
    database, media = tmp_path / "db.sqlite3", tmp_path / "media"
    shutil.copyfile(demo_backup["database"], database)
    shutil.copytree(demo_backup["backup"].with_name("tri.sqlite3.media"), media)
    env = app_env(f"sqlite:///{database}", media)
    backup = tmp_path / "make" / "tri.sqlite3"

    ok(make(env, "backup", f"FILE={backup}"))
    tamper_sqlite(database)
    shutil.rmtree(media)  # the volume is lost
    restored = make(env, "restore", f"FILE={backup}", stdin="oui\n")

    assert VERIFIED in ok(restored)
    assert backup.with_name("tri.sqlite3.json").is_file()
    assert sqlite_state(database) == demo_backup["state"]
    assert media_state(media) == demo_backup["media"]


def test_make_restore_without_a_file_says_how_to_call_it(tmp_path):
    result = make(app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}"), "restore")

    assert result.returncode != 0
    assert "Indiquez la sauvegarde : make restore FILE=var/backups/…" in result.stdout


# --- PostgreSQL (full stack): pg_dump / pg_restore ---------------------------------------


def pg_connect(dbname: str):
    import psycopg2

    url = urlsplit(os.environ["DATABASE_URL"])
    connection = psycopg2.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname=dbname,
    )
    connection.autocommit = True
    return connection


def pg_state(dbname: str) -> dict[str, tuple[int, str]]:
    connection = pg_connect(dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
            tables = [name for (name,) in cursor.fetchall()]
            state = {}
            for table in tables:
                cursor.execute(f'SELECT * FROM "{table}"')
                state[table] = digest(cursor.fetchall())
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            )
            state["<sequences>"] = digest(cursor.fetchall())
            return state
    finally:
        connection.close()


@pytest.fixture(scope="module")
def pg_demo(tmp_path_factory):
    """A scratch PostgreSQL database with the demo data and its pg_dump backup; dropped
    at the end whatever happens."""
    from tests.service_markers import postgres_problem

    if postgres_problem():
        pytest.skip("PostgreSQL absent")  # the test's own marker fails it under CI
    base = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "tri"
    name = f"{base}_backup_{uuid.uuid4().hex[:8]}"
    admin = pg_connect("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlsplit(os.environ["DATABASE_URL"])
        env = app_env(url._replace(path=f"/{name}", query="").geturl())
        for command in (["migrate", "--noinput"], ["import_territories"], ["load_demo"]):
            ok(manage(env, *command))
        backup = tmp_path_factory.mktemp("pg") / "tri.dump"
        ok(manage(env, "backup", "--output", str(backup)))
        yield {"name": name, "env": env, "backup": backup, "state": pg_state(name)}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def tamper_pg(dbname: str) -> None:
    connection = pg_connect(dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE auth_user SET email = 'pirate@example.org' "
                "WHERE username = 'referent.fourmies'"
            )
            cursor.execute(
                "DELETE FROM indicators_aggregate "
                "WHERE id = (SELECT MIN(id) FROM indicators_aggregate)"
            )
            cursor.execute("INSERT INTO auth_group (name) VALUES ('intrus')")
    finally:
        connection.close()


@pytest.mark.postgres
def test_postgres_backup_is_a_custom_format_dump_with_its_manifest(pg_demo):
    backup = pg_demo["backup"]
    manifest = json.loads(backup.with_name("tri.dump.json").read_text())

    assert backup.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert manifest["engine"] == "postgresql"
    tables = {name for name in pg_demo["state"] if not name.startswith("<")}
    assert set(manifest["tables"]) == tables
    assert {name: entry["rows"] for name, entry in manifest["tables"].items()} == {
        name: pg_demo["state"][name][0] for name in tables
    }


@pytest.mark.postgres
def test_postgres_restore_brings_back_exactly_the_backed_up_data(pg_demo):
    tamper_pg(pg_demo["name"])
    assert pg_state(pg_demo["name"]) != pg_demo["state"]

    result = manage(pg_demo["env"], "restore", str(pg_demo["backup"]), "--noinput")

    assert ok(result).strip() == VERIFIED
    assert pg_state(pg_demo["name"]) == pg_demo["state"]


@pytest.mark.postgres
@pytest.mark.fault
def test_postgres_restore_with_a_tampered_manifest_names_the_table(pg_demo, tmp_path):
    backup = tmp_path / "copie.dump"
    shutil.copyfile(pg_demo["backup"], backup)
    shutil.copytree(pg_demo["backup"].with_name("tri.dump.media"), f"{backup}.media")
    manifest = json.loads(pg_demo["backup"].with_name("tri.dump.json").read_text())
    manifest["tables"]["auth_user"]["sha256"] = "0" * 64
    backup.with_name("copie.dump.json").write_text(json.dumps(manifest))

    result = manage(pg_demo["env"], "restore", str(backup), "--noinput")

    assert result.returncode != 0
    assert "Restauration faite mais différente de la sauvegarde pour : auth_user" in result.stderr
