"""Broker outage: staff keep validating through the API while Redis is unreachable;
the work waits in the database and one run of a real worker, once the broker is
back, converges to the result of a clean full recompute."""

import json
import subprocess
import sys
import textwrap
import uuid
from collections import Counter

import pytest

from contracts.models import ProgressReport, ReportStatus
from indicators import aggregation
from indicators.models import Aggregate, PendingRecompute, RecomputeRun
from indicators.tasks import enqueue_pending_recompute
from tests.faults.conftest import (
    active_contract,
    aggregate_table,
    communes,
    reporter,
    submitted_report,
    task_queue,
    token_for,
)
from tests.realservices import ROOT, celery_worker, subprocess_env, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.redis]

REPORTS = 50
DEAD_BROKER = "redis://127.0.0.1:1/0"

# A web process whose broker is unreachable: the staff API, called with a real token.
VALIDATE_ALL = textwrap.dedent(
    """
    import json, sys, time
    import django
    django.setup()
    from rest_framework.test import APIClient

    key, ids = sys.argv[1], json.loads(sys.argv[2])
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answers = []
    for pk in ids:
        started = time.perf_counter()
        response = client.post(f"/api/v1/reports/{pk}/validate/")
        body = response.json() if response.status_code < 500 else None
        answers.append({
            "status": response.status_code,
            "report_status": body.get("status") if body else None,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        })
    print("RESULT " + json.dumps(answers), flush=True)
    """
)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def test_fifty_validations_with_the_broker_down_then_one_worker_run_converges(staff):
    with task_queue():  # submissions' e-mails: not the subject here
        reports = [
            submitted_report(active_contract(commune), 2018, str(100 + index), reporter())
            for index, commune in enumerate(communes(REPORTS))
        ]
    key = token_for(staff)

    outage = subprocess.run(
        [sys.executable, "-c", VALIDATE_ALL, key, json.dumps([r.pk for r in reports])],
        cwd=ROOT,
        env=subprocess_env(
            CELERY_BROKER_URL=DEAD_BROKER,
            CELERY_RESULT_BACKEND=DEAD_BROKER,
            ALLOWED_HOSTS="testserver",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            DJANGO_SETTINGS_MODULE="tri_portal.settings",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert outage.returncode == 0, outage.stderr[-3000:]
    result_line = next(line for line in outage.stdout.splitlines() if line.startswith("RESULT "))
    answers = json.loads(result_line.removeprefix("RESULT "))
    latencies = [answer["ms"] for answer in answers]
    print(
        f"\n[broker down] {len(answers)} validations: statuses "
        f"{dict(Counter(a['status'] for a in answers))}, p50 {percentile(latencies, 0.5)} ms, "
        f"p95 {percentile(latencies, 0.95)} ms, max {max(latencies)} ms; "
        f"'reste en attente' logged {outage.stderr.count('reste en attente')} times"
    )
    assert Counter(answer["status"] for answer in answers) == {200: REPORTS}
    assert {answer["report_status"] for answer in answers} == {"validated"}
    assert ProgressReport.objects.filter(status=ReportStatus.VALIDATED).count() == REPORTS
    # Every validation recorded its work; none was sent, none was computed.
    assert outage.stderr.count("reste en attente") == REPORTS
    assert PendingRecompute.objects.count() == REPORTS
    assert not Aggregate.objects.exists()
    assert not RecomputeRun.objects.exists()

    # The broker is back: the next validation's send (or the nightly run) reaches a
    # real worker, and that one run handles everything the outage left pending.
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue), task_queue(queue):
        assert enqueue_pending_recompute() is True
        assert wait_until(lambda: not PendingRecompute.objects.exists(), timeout=90)
    runs = list(RecomputeRun.objects.values_list("trigger", "pending_handled"))
    after_outage = aggregate_table()

    aggregation.recompute_all()
    clean = aggregate_table()

    assert runs == [("validation", REPORTS)]
    assert after_outage, "the worker wrote no aggregate"
    assert after_outage == clean
