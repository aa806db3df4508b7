"""``/healthz``: is the portal able to serve? For container health checks, load
balancers and operators. It says which component is down, never why (no host name,
version or error text in the answer: those go to the logs)."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tri_portal.celery import app

logger = logging.getLogger(__name__)
OK, ERROR, EAGER = "ok", "error", "eager"
RESULT_CACHE_SECONDS = 5  # the checks are cheap, but the page is public


def _check(name, probe) -> str:
    try:
        return probe()
    except Exception as exc:  # any failure of the probe is that component being down
        logger.warning("healthz: %s unavailable (%s)", name, type(exc).__name__)
        return ERROR


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def _cache() -> str:
    cache.set("healthz", "1", 10)
    return OK if cache.get("healthz") == "1" else ERROR


def _broker() -> str:
    if app.conf.task_always_eager:
        return EAGER
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=2)
    return OK


def _worker() -> str:
    if app.conf.task_always_eager:
        return EAGER
    replies = app.control.ping(timeout=1.0, limit=1)
    return OK if replies else ERROR


def run_checks() -> dict[str, str]:
    checks = {"database": _check("database", _database), "cache": _check("cache", _cache)}
    checks["broker"] = _check("broker", _broker)
    checks["worker"] = _check("worker", _worker) if checks["broker"] != ERROR else ERROR
    return checks


@never_cache
@require_GET
def healthz(request):
    """200 while the database answers (``status`` is ``degraded`` if the cache, the
    broker or the workers are down: pages are served, recomputes wait); 503 without
    the database."""
    checks = cached_checks()
    if checks["database"] != OK:
        status, code = "down", 503
    elif ERROR in checks.values():
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)


def cached_checks() -> dict[str, str]:
    """The last result for a few seconds (a public page must not be a way to flood the
    broker with pings)."""
    try:
        cached = cache.get("healthz:result")
    except Exception:  # the cache itself may be the component that is down
        return run_checks()
    if cached is None:
        checks = run_checks()
        try:
            cache.set("healthz:result", checks, RESULT_CACHE_SECONDS)
        except Exception:
            logger.warning("healthz: result not cached")
        return checks
    return cached
