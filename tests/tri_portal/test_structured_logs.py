"""Structured logs: one JSON object per line, a request id on every line written while
serving a request (returned as X-Request-ID), one summary line per request and per
Celery task, and no personal data (user by id, path without its query string)."""

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import UserFactory, log_in
from tests.realservices import ROOT
from tri_portal.observability import ContextFilter, JsonFormatter, current_request_id
from tri_portal.tasks import ping

PASSWORD = "mot-de-passe-solide-2026"
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines():
    """The production handler (context filter + JSON formatter) on the root logger:
    returns a function giving the lines written so far, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def request_records(caplog):
    return [r for r in caplog.records if r.name == "tri_portal.requests"]


# --- the JSON formatter -----------------------------------------------------------------


def make_record(message="GET %s %s", args=("/contrats/", 200), **extra):
    record = logging.LogRecord(
        "tri_portal.requests", logging.INFO, __file__, 1, message, args, None
    )
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_object_on_one_line_with_its_fields():
    record = make_record(
        request_id="abc123",
        user_id=7,
        method="GET",
        path="/contrats/",
        status=200,
        duration_ms=12.5,
    )
    record.created = 1_798_000_000.25

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-12-23T04:26:40.250000+00:00",
        "level": "INFO",
        "logger": "tri_portal.requests",
        "message": "GET /contrats/ 200",
        "request_id": "abc123",
        "user_id": 7,
        "method": "GET",
        "path": "/contrats/",
        "status": 200,
        "duration_ms": 12.5,
    }


def test_unset_fields_are_left_out_and_french_text_stays_readable():
    line = JsonFormatter().format(make_record("Tâche « %s » non envoyée\nréessayer", ("é",)))

    entry = json.loads(line)
    assert "\n" not in line
    assert "Tâche « é »" in line  # not \u-escaped
    assert entry["message"] == "Tâche « é » non envoyée\nréessayer"
    assert not {"request_id", "task_id", "user_id", "status"} & set(entry)


def test_an_exception_is_logged_with_its_traceback_in_the_same_object():
    try:
        raise ValueError("valeur impossible")
    except ValueError:
        record = make_record("échec", (), exc_info=sys.exc_info())

    entry = json.loads(JsonFormatter().format(record))

    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: valeur impossible")


def test_the_context_filter_stamps_the_current_request_id_but_keeps_an_explicit_one():
    token = current_request_id.set("req-1")
    try:
        stamped, explicit = make_record(), make_record(request_id="req-2")
        ContextFilter().filter(stamped)
        ContextFilter().filter(explicit)
    finally:
        current_request_id.reset(token)

    assert (stamped.request_id, explicit.request_id) == ("req-1", "req-2")
    assert stamped.task_id is None


@pytest.mark.parametrize(("log_format", "json_expected"), [("json", True), ("plain", False)])
def test_log_format_chooses_json_or_readable_lines(log_format, json_expected):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, logging; django.setup();"
            "logging.getLogger('tri_portal.essai').warning('bonjour %s', 'Fourmies')",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("TRI_ENV", "LOG_LEVEL")},
            "DJANGO_SETTINGS_MODULE": "tri_portal.settings",
            "LOG_FORMAT": log_format,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    [line] = [line for line in result.stderr.splitlines() if "bonjour" in line]
    if json_expected:
        entry = json.loads(line)
        assert (entry["level"], entry["logger"], entry["message"]) == (
            "WARNING",
            "tri_portal.essai",
            "bonjour Fourmies",
        )
    else:
        assert line.endswith("WARNING tri_portal.essai bonjour Fourmies")


# --- request ids ------------------------------------------------------------------------


def test_every_response_carries_a_new_request_id(client, db):
    ids = [client.get(reverse("home"))["X-Request-ID"] for _ in range(3)]

    assert all(NEW_ID.fullmatch(rid) for rid in ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    "incoming", ["abc", "proxy-4f2a.9_X", "a" * 64, "8496dfee-e6a6-46f0-89a1-8fb8cd0f6f47"]
)
def test_a_sane_incoming_request_id_is_kept(client, db, caplog, incoming):
    caplog.set_level(logging.INFO)

    response = client.get(reverse("home"), HTTP_X_REQUEST_ID=incoming)

    [record] = request_records(caplog)
    assert response["X-Request-ID"] == incoming
    assert record.request_id == incoming


@pytest.mark.fault
@pytest.mark.parametrize(
    "incoming",
    ["avec espace", "a" * 65, "a" * 200, "abc\ndef", "<script>", "é", "", "id;rm -rf"],
    ids=["space", "65-chars", "200-chars", "newline", "markup", "accent", "empty", "semicolon"],
)
def test_an_insane_incoming_request_id_is_replaced(client, db, caplog, incoming):
    caplog.set_level(logging.INFO)

    response = client.get(reverse("home"), HTTP_X_REQUEST_ID=incoming)

    [record] = request_records(caplog)
    assert NEW_ID.fullmatch(response["X-Request-ID"])
    assert record.request_id == response["X-Request-ID"]


# --- the request line -------------------------------------------------------------------


def test_one_request_line_with_method_path_status_and_duration(client, db, caplog):
    caplog.set_level(logging.INFO)

    response = client.get(reverse("contracts") + "?q=Fourmies&page=2")

    [record] = request_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/contrats/", 200)
    assert record.getMessage() == "GET /contrats/ 200"
    assert isinstance(record.duration_ms, float)
    assert record.duration_ms >= 0
    assert record.user_id is None
    assert record.request_id == response["X-Request-ID"]
    assert "Fourmies" not in json.dumps(record.__dict__, default=str)


def test_the_request_line_names_the_user_by_id_only(client, db, caplog):
    user = UserFactory(username="referent.fourmies", email="referent@fourmies.example")
    client.force_login(user)
    caplog.set_level(logging.INFO)

    client.get(reverse("officer:dashboard"))

    [record] = request_records(caplog)
    text = json.dumps(record.__dict__, default=str)
    assert record.user_id == user.pk
    assert "referent.fourmies" not in text
    assert "fourmies.example" not in text


def test_error_statuses_are_logged_too(client, db, caplog):
    caplog.set_level(logging.INFO)

    client.get("/contrats/999999/")
    client.post(reverse("healthz"))

    assert [(r.path, r.status) for r in request_records(caplog)] == [
        ("/contrats/999999/", 404),
        ("/healthz", 405),
    ]


@pytest.mark.fault
def test_logging_in_never_logs_the_password_or_the_user_name(client, db, caplog, json_lines):
    UserFactory(username="referent.fourmies", email="referent@fourmies.example")
    caplog.set_level(logging.DEBUG)

    assert not log_in(client, "referent.fourmies", "un-mauvais-secret-9")
    assert log_in(client, "referent.fourmies", PASSWORD)

    captured = [json.dumps(r.__dict__, default=str) for r in caplog.records]
    captured += [json.dumps(entry) for entry in json_lines()]
    assert len(request_records(caplog)) == 2
    for secret in ("un-mauvais-secret-9", PASSWORD, "referent.fourmies", "fourmies.example"):
        assert [line for line in captured if secret in line] == []


def test_lines_written_while_serving_a_request_carry_its_id(client, db, json_lines):
    UserFactory(username="referent.fourmies")

    response = client.post(reverse("login"), {"username": "referent.fourmies", "password": "faux"})

    rid = response["X-Request-ID"]
    loggers = {entry["logger"] for entry in json_lines() if entry.get("request_id") == rid}
    assert {"tri_portal.requests", "axes.handlers.database"} <= loggers
    assert all(entry.get("request_id") for entry in json_lines())


# --- Celery tasks -----------------------------------------------------------------------


def task_records(caplog):
    return [r for r in caplog.records if r.name == "tri_portal.tasks"]


def test_a_task_logs_one_line_with_its_state_and_duration(db, eager_tasks, caplog, json_lines):
    caplog.set_level(logging.INFO)

    result = ping.delay()

    [record] = task_records(caplog)
    [entry] = [e for e in json_lines() if e["logger"] == "tri_portal.tasks"]
    assert result.get() == "pong"
    assert (record.task, record.state, record.task_id) == ("tri_portal.ping", "SUCCESS", result.id)
    assert isinstance(record.duration_ms, float)
    assert entry["message"] == "task tri_portal.ping SUCCESS"
    assert (entry["task"], entry["task_id"], entry["state"]) == (
        "tri_portal.ping",
        result.id,
        "SUCCESS",
    )
    assert "request_id" not in entry  # not run from a request


def test_a_task_run_by_a_request_logs_both_ids(client, db, eager_tasks, json_lines):
    client.force_login(UserFactory(username="agent.region", is_staff=True))

    response = client.post(reverse("recompute_now"))

    tasks = {e["task"]: e for e in json_lines() if e["logger"] == "tri_portal.tasks"}
    assert response.status_code == 302
    task = tasks["indicators.recompute_all"]
    assert task["state"] == "SUCCESS"
    assert task["request_id"] == response["X-Request-ID"]
    assert task["task_id"]
    # The run sends the peer statistics as a job of its own: same request, own task id.
    peers = tasks["indicators.refresh_peer_statistics"]
    assert peers["request_id"] == response["X-Request-ID"]
    assert peers["task_id"] != task["task_id"]
    [request_line] = [e for e in json_lines() if e["logger"] == "tri_portal.requests"]
    assert "task_id" not in request_line  # the task id is cleared when the task ends
