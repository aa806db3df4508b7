"""``/healthz``: what a load balancer or a container health check reads. 200 while the
database answers (``degraded`` when the cache, the broker or the workers are down), 503
without the database; never a host name, a port or an error text in the answer."""

import json
import os
import re
import subprocess
import sys
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.realservices import ROOT, celery_worker, subprocess_env, wait_until

SETTINGS_SOURCE = (ROOT / "tri_portal" / "settings.py").read_text()
APP_VARIABLES = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', SETTINGS_SOURCE))
CHECKS = {"database", "cache", "broker", "worker"}
# What an answer must never contain: addresses, ports, schemes, products, error names.
INTERNALS = (
    "127.0.0.1",
    "localhost",
    "5432",
    "6379",
    "redis://",
    "postgres",
    "sqlite",
    "Error:",
    "OperationalError",
    "ConnectionError",
    "ConnectionRefused",
    "Traceback",
    "kombu",
    "psycopg",
)
# Calls the view in a fresh process (its own settings, its own dead component) and
# prints what the client got and how long it took.
HEALTHZ_SCRIPT = (
    "import django, json, time; django.setup();"
    "from django.test import Client;"
    "client = Client(HTTP_HOST='tri.example.org', raise_request_exception=False);"
    "started = time.perf_counter();"
    "response = client.get('/healthz');"
    "print(json.dumps({'status': response.status_code,"
    " 'seconds': round(time.perf_counter() - started, 2),"
    " 'body': response.content.decode(),"
    " 'cache_control': response.get('Cache-Control')}))"
)


def app_env(**overrides) -> dict:
    """The environment without any of the portal's variables (CI sets some), plus
    ``overrides``: a fresh process configured only by this test."""
    env = {key: value for key, value in os.environ.items() if key not in APP_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="tri_portal.settings",
        SECRET_KEY="t-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS="tri.example.org",
    )
    env.update(overrides)
    return env


def healthz_in_subprocess(env: dict) -> tuple[dict, str]:
    result = subprocess.run(
        [sys.executable, "-c", HEALTHZ_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"/healthz answered {answer['status']} in {answer['seconds']} s")
    return answer, result.stderr


def assert_no_internals(body: str) -> None:
    leaked = [word for word in INTERNALS if word.lower() in body.lower()]
    assert leaked == [], body


def healthz(client):
    cache.clear()  # the result is cached for a few seconds
    return client.get(reverse("healthz"))


# --- in-process -----------------------------------------------------------------------


def test_everything_up_in_embedded_mode(client, db, eager_tasks):
    response = healthz(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "eager", "worker": "eager"},
    }
    assert_no_internals(response.content.decode())


def test_the_answer_has_exactly_a_status_and_the_four_checks(client, db, eager_tasks):
    body = healthz(client).json()

    assert set(body) == {"status", "checks"}
    assert set(body["checks"]) == CHECKS
    assert body["status"] in {"ok", "degraded", "down"}
    assert set(body["checks"].values()) <= {"ok", "error", "eager"}


def test_the_answer_is_never_cached_by_browsers_or_proxies(client, db, eager_tasks):
    response = healthz(client)

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "must-revalidate", "private"} <= directives
    assert "Expires" in response


def test_it_needs_no_login_and_only_answers_get(client, db, eager_tasks):
    assert healthz(client).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


def test_it_is_exempt_from_the_https_redirect(client, db, eager_tasks, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert healthz(client).status_code == 200
    assert client.get(reverse("home")).status_code == 301


def test_the_result_is_reused_for_a_few_seconds(client, db, eager_tasks, django_assert_num_queries):
    """A public page must not be a way to flood the database and the broker."""
    with django_assert_num_queries(1):  # SELECT 1
        first = healthz(client)
    with django_assert_num_queries(0):
        again = client.get(reverse("healthz"))
    with django_assert_num_queries(1):
        cache.clear()
        after_expiry = client.get(reverse("healthz"))

    assert first.json() == again.json() == after_expiry.json()


# --- real services and dead components --------------------------------------------------


@pytest.mark.redis
def test_with_a_real_worker_every_check_is_ok(client, db, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False

    with celery_worker(f"test-{uuid.uuid4().hex[:8]}"):
        # The ping is a broadcast: any worker of the broker answers, whatever its queue.
        body = wait_until(
            lambda: (answer := healthz(client).json())["checks"]["worker"] == "ok" and answer,
            timeout=60,
            interval=0.5,
        )

    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok"},
    }


@pytest.mark.redis
@pytest.mark.fault
def test_without_any_worker_the_portal_is_degraded_not_down(client, db, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False

    response = healthz(client)

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "error"},
    }


@pytest.mark.postgres
@pytest.mark.fault
def test_with_the_broker_down_the_portal_is_degraded_and_answers_quickly(db):
    answer, logs = healthz_in_subprocess(
        subprocess_env(
            CELERY_BROKER_URL="redis://127.0.0.1:1/0",
            CACHE_URL="",
            ALLOWED_HOSTS="tri.example.org",
            DJANGO_SETTINGS_MODULE="tri_portal.settings",
        )
    )

    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "ok", "broker": "error", "worker": "error"},
    }
    assert_no_internals(answer["body"])
    assert "healthz: broker unavailable (" in logs  # the reason goes to the logs


@pytest.mark.fault
def test_without_the_database_it_answers_503_down():
    answer, logs = healthz_in_subprocess(
        app_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/tri_absente")
    )

    assert answer["status"] == 503
    assert json.loads(answer["body"]) == {
        "status": "down",
        "checks": {"database": "error", "cache": "ok", "broker": "eager", "worker": "eager"},
    }
    assert "no-store" in answer["cache_control"]
    assert_no_internals(answer["body"])
    assert "healthz: database unavailable (OperationalError)" in logs


@pytest.mark.fault
def test_with_the_cache_down_the_portal_is_degraded_not_an_error(tmp_path):
    answer, _ = healthz_in_subprocess(
        app_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            CACHE_URL="redis://127.0.0.1:1/0",
        )
    )

    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "error", "broker": "eager", "worker": "eager"},
    }
