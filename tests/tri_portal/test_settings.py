import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tri_portal.env import env_bool, parse_database_url

# The settings read in fresh interpreters: in the serial part (tests/conftest.py).
pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]
BASE = Path("/srv/tri")


def run_python(code: str, **env_overrides) -> subprocess.CompletedProcess:
    """Run ``code`` with the project's settings in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in env_overrides}
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    for key in [k for k, v in env_overrides.items() if v is None]:
        env.pop(key, None)
    env.setdefault("DJANGO_SETTINGS_MODULE", "tri_portal.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_postgres_url_is_parsed():
    db = parse_database_url(
        "postgres://tri:s%40cret@db.local:5433/tri_portal?sslmode=require", BASE
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "tri_portal",
        "tri",
        "s@cret",
        "db.local",
        "5433",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_sqlite_url_relative_to_the_project_absolute_or_in_memory():
    assert parse_database_url("sqlite:///var/db.sqlite3", BASE)["NAME"] == "/srv/tri/var/db.sqlite3"
    assert parse_database_url("sqlite:////tmp/x.sqlite3", BASE)["NAME"] == "/tmp/x.sqlite3"
    assert parse_database_url("sqlite:///:memory:", BASE)["NAME"] == ":memory:"


@pytest.mark.parametrize("url", ["mysql://root@localhost/tri", "postgres://localhost/"])
def test_unsupported_database_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        parse_database_url(url, BASE)


def test_booleans_from_the_environment(monkeypatch):
    monkeypatch.setenv("FLAG", "oui")
    with pytest.raises(ImproperlyConfigured):
        env_bool("FLAG")
    monkeypatch.setenv("FLAG", "True")
    assert env_bool("FLAG") is True


def test_embedded_default_is_sqlite_under_the_project_with_eager_tasks():
    result = run_python(
        "import django; django.setup();"
        "from django.conf import settings as s;"
        "from tri_portal.tasks import ping;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'],"
        " s.CELERY_TASK_ALWAYS_EAGER, ping.delay().get(timeout=5), s.LANGUAGE_CODE, s.TIME_ZONE)",
        DATABASE_URL=None,
        CELERY_BROKER_URL=None,
    )
    assert result.returncode == 0, result.stderr
    engine, name, eager, pong, language, tz = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name == str(ROOT / "var" / "db.sqlite3")
    assert (eager, pong, language, tz) == ("True", "pong", "fr", "Europe/Paris")


def test_embedded_eager_tasks_reach_for_no_broker_and_print_no_warning():
    """In embedded mode Celery serialises eager tasks through a producer: it must not
    reach for an AMQP server on localhost ("No hostname was supplied" on make run)."""
    result = run_python(
        "import django; django.setup();"
        "from tri_portal.tasks import ping;"
        "print(ping.delay().get(timeout=5))",
        DATABASE_URL=None,
        CELERY_BROKER_URL=None,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pong"]
    assert "hostname" not in result.stderr
    assert "WARNING" not in result.stderr


def test_embedded_emails_go_to_files_under_var_mail_not_to_the_terminal():
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH)",
        EMAIL_BACKEND=None,
        EMAIL_FILE_PATH=None,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(ROOT / "var" / "mail"),
    ]


def test_with_a_broker_tasks_are_sent_to_it_instead_of_running_eagerly():
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    assert result.stdout.split() == ["False", "redis://127.0.0.1:6379/3"]


def test_production_refuses_the_development_secret_key():
    result = run_python("import tri_portal.wsgi", DEBUG="0", SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY is the development default while DEBUG is off" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = run_python("import tri_portal.wsgi; print('ok')", DEBUG="0", SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_development_mode_accepts_the_development_key():
    result = run_python("import tri_portal.wsgi; print('ok')", DEBUG="1", SECRET_KEY=None)
    assert result.stdout.strip() == "ok", result.stderr


def test_deploy_check_reports_the_development_key():
    result = run_python(
        "import django, sys; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'ERROR')",
        DEBUG="0",
        SECRET_KEY=None,
    )
    assert result.returncode != 0
    assert "tri_portal.E001" in result.stderr
