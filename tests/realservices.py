"""Helpers for tests that run against the real PostgreSQL, Redis and Celery worker."""

import io
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import connection, connections

from territories.models import Territory, TerritoryKind

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test_… database)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(**overrides) -> dict:
    env = {**os.environ, "DATABASE_URL": test_database_url(), "SECRET_KEY": "t-" + uuid.uuid4().hex}
    env.update(overrides)
    return env


def ensure_reference_data() -> None:
    """Transactional tests flush every table after them, data loaded by migrations
    included: put back the territories, the indicator catalogue and the themes."""
    from contracts.models import ContractTheme
    from contracts.themes import sync_themes
    from indicators.catalogue import sync_catalogue
    from indicators.models import Indicator

    sync_catalogue(Indicator)
    sync_themes(ContractTheme)
    if not Territory.objects.filter(kind=TerritoryKind.REGION, code="32").exists():
        call_command(
            "import_territories",
            "--region",
            "32",
            "--force",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


@contextmanager
def celery_worker(queue: str):
    """A real Celery worker process on the test database, consuming ``queue``."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tri_portal",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def wait_until(predicate, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


THREADS = 20


def all_at_once(request, count: int = THREADS) -> list:
    """Run ``request(index)`` in ``count`` threads released together; each thread has
    its own database connection, opened before the barrier and closed at the end.
    Returns the results in index order (an exception counts as a result)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results[index] = request(index)
        except Exception as exc:  # reported in the results, asserted by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results
