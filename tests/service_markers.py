"""Pytest plugin: tests that need a real service are marked and gated.

* ``@pytest.mark.postgres`` — DATABASE_URL must point at PostgreSQL;
* ``@pytest.mark.redis`` — CELERY_BROKER_URL must point at a Redis that answers;
* ``@pytest.mark.browser`` — Debian's Chromium and Playwright must be installed.

Locally a missing service skips the test (with the reason). Under ``CI=true`` it
fails it: CI must never go green by skipping what it was meant to check.
Deliberately independent of Django, so it can be tested in a subprocess.
"""

import os
import shutil
import socket
from functools import cache
from urllib.parse import urlsplit

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

MARKERS = {
    "postgres": "needs a real PostgreSQL database (DATABASE_URL=postgres://…)",
    "redis": "needs a real Redis broker (CELERY_BROKER_URL=redis://…)",
    "browser": "needs Debian's Chromium (/usr/bin/chromium) and Playwright",
}


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _tcp_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@cache
def postgres_problem() -> str | None:
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        return "DATABASE_URL ne désigne pas une base PostgreSQL"
    if not _tcp_reachable(url.hostname or "127.0.0.1", url.port or 5432):
        return f"PostgreSQL injoignable sur {url.hostname}:{url.port or 5432}"
    return None


@cache
def redis_problem() -> str | None:
    raw = os.environ.get("CELERY_BROKER_URL", "")
    if urlsplit(raw).scheme not in ("redis", "rediss"):
        return "CELERY_BROKER_URL ne désigne pas un serveur Redis"
    try:
        import redis

        redis.Redis.from_url(raw, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis injoignable ({raw}) : {exc}"
    return None


def chromium_path() -> str | None:
    return next((p for p in CHROMIUM_PATHS if os.path.exists(p)), shutil.which("chromium"))


@cache
def browser_problem() -> str | None:
    if chromium_path() is None:
        return "Chromium absent (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright absent (pip install playwright)"
    return None


PROBES = {"postgres": postgres_problem, "redis": redis_problem, "browser": browser_problem}


def pytest_configure(config):
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


def pytest_runtest_setup(item):
    for name, probe in PROBES.items():
        if item.get_closest_marker(name) is None:
            continue
        problem = probe()
        if problem is None:
            continue
        if running_in_ci():
            pytest.fail(f"[{name}] service requis sous CI=true : {problem}", pytrace=False)
        pytest.skip(f"[{name}] service absent : {problem}")
