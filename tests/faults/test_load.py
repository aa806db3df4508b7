"""Bounded load run: gunicorn on the test database serves the public dashboard and
the contract list to concurrent clients while an officer's bulk import and full
recomputes run; every answer must be a 200 or a 304. Latency figures are written
to var/load/load-report.json (measured, not asserted).

LOAD_SECONDS (default 6, at most 60) sets the length of the run (the clients go on
until the import and the recompute under way end, 60 s in all at most); LOAD_CLIENTS
(default 8) the number of client threads, each on its own keep-alive connection."""

import csv
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections

from contracts import imports
from contracts.stats import refresh_contract_stats
from indicators.models import Aggregate, Indicator, RecomputeRun
from indicators.tasks import recompute_all_task
from kit.cache import bump_data_version
from territories.models import OfficerAssignment
from tests.faults.conftest import (
    active_contract,
    communes,
    drop_queue,
    officer_of,
    redis_client,
    redis_url,
    task_queue,
)
from tests.realservices import ROOT, celery_worker, subprocess_env, wait_until

pytestmark = [pytest.mark.load, pytest.mark.postgres, pytest.mark.redis]

URLS = ["/tableau-de-bord/", "/contrats/"]
MAX_SECONDS = 60.0
LOAD_SECONDS = min(float(os.environ.get("LOAD_SECONDS") or 6), MAX_SECONDS)
CLIENTS = int(os.environ.get("LOAD_CLIENTS") or 8)
REPORT = ROOT / "var" / "load" / "load-report.json"
IMPORT_COMMUNES = 20
IMPORT_YEARS = range(2006, 2021)
IMPORT_INDICATORS = [
    "cae_1.a",
    "cae_1.c",
    "cae_1.d",
    "cae_2.a",
    "cae_2.e",
    "cae_2.f",
    "cae_3.a",
    "cae_24.a",
    "cae_25.a",
    "tri_eclairage_public_conso",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 1)


class Gunicorn:
    """``gunicorn tri_portal.wsgi`` in production-like settings (DEBUG off, a random
    key, the public page cache in Redis shared by its workers)."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.log_path = log
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "tri_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            cwd=ROOT,
            env=subprocess_env(
                DEBUG="0", ALLOWED_HOSTS="127.0.0.1", CACHE_URL=redis_url(), TRI_ENV="development"
            ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def log_tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def hammer(port: int, stop: threading.Event, samples: list, errors: list):
    """One client on one keep-alive connection, alternating the URLs; half of its
    requests revalidate with the ETag it last got (as a browser does)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    etags: dict[str, str] = {}
    turn = 0
    while not stop.is_set():
        url = URLS[turn % len(URLS)]
        headers = {"If-None-Match": etags[url]} if turn % 4 >= 2 and url in etags else {}
        turn += 1
        started = time.perf_counter()
        try:
            conn.request("GET", url, headers=headers)
            response = conn.getresponse()
            response.read()
        except Exception as exc:
            errors.append(f"{url}: {exc!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        samples.append((url, response.status, (time.perf_counter() - started) * 1000))
        if response.getheader("ETag"):
            etags[url] = response.getheader("ETag")
        if response.will_close:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def repeat_until(deadline: float, work, durations: list, errors: list):
    """Run ``work()`` again and again until ``deadline`` (at least once)."""
    try:
        while True:
            started = time.perf_counter()
            work()
            durations.append(time.perf_counter() - started)
            if time.monotonic() >= deadline:
                break
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()


def import_file(officer_territories) -> bytes:
    units = dict(
        Indicator.objects.filter(identifier__in=IMPORT_INDICATORS).values_list("identifier", "unit")
    )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(imports.COLUMNS)
    for territory in officer_territories:
        for identifier in IMPORT_INDICATORS:
            for year in IMPORT_YEARS:
                writer.writerow(
                    [
                        territory.code,
                        identifier,
                        year,
                        f"{year - 2000},5",
                        units[identifier],
                        "",
                        "",
                    ]
                )
    return buffer.getvalue().encode()


@pytest.fixture
def shared_cache(settings):
    """This process (and the worker started from it) use gunicorn's Redis cache, so
    data changes invalidate the pages gunicorn cached; the keys are dropped after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
        }
    }
    bump_data_version()  # nothing cached by an earlier run is served
    yield
    client = redis_client()
    for key in client.scan_iter(":1:tri:*"):
        client.delete(key)


def recompute_runs(queue: str, deadline: float, durations: list, errors: list):
    """Full recomputes by a real worker, one after the other until ``deadline``."""
    try:
        for done in range(1, 100):
            recompute_all_task.apply_async(kwargs={"trigger": "load"}, queue=queue)
            finished = wait_until(
                lambda done=done: RecomputeRun.objects.filter(trigger="load").count() >= done,
                timeout=120,
            )
            if not finished:
                errors.append("a recompute did not finish within 120 s")
                break
            run = RecomputeRun.objects.filter(trigger="load").latest("finished_at")
            durations.append((run.finished_at - run.started_at).total_seconds())
            if time.monotonic() >= deadline:
                break
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()


def test_public_pages_answer_under_load_during_an_import_and_recomputes(
    reference_data, shared_cache, tmp_path, monkeypatch
):
    with task_queue(), monkeypatch.context() as patch:
        # The demo's validations are recorded (computed by the runs under load); the
        # dashboard figures are refreshed once instead of after every signature.
        patch.setattr(
            "contracts.services.contract_status.refresh_contract_stats", lambda territories=None: 0
        )
        call_command("load_demo", stdout=io.StringIO())
    refresh_contract_stats()
    territories = communes(IMPORT_COMMUNES)
    officer = officer_of(territories[0], "referent.import")
    for territory in territories:
        active_contract(territory, baseline_year=2001)
        if territory != territories[0]:
            OfficerAssignment.objects.create(user=officer, territory=territory)
    content = import_file(territories)
    rows = IMPORT_COMMUNES * len(IMPORT_INDICATORS) * len(IMPORT_YEARS)

    monkeypatch.setenv("CACHE_URL", redis_url())  # the worker shares the page cache too
    queue = f"load-{uuid.uuid4().hex[:8]}"
    server = Gunicorn(tmp_path / "gunicorn.log")
    samples: list = []
    errors: list = []
    background_errors: list = []
    import_durations: list = []
    recompute_durations: list = []
    import_results: list = []

    def run_import():
        result = imports.import_values(SimpleUploadedFile("valeurs.csv", content), officer)
        import_results.append((result.rows, result.errors[:3]))

    try:
        with celery_worker(queue):
            assert wait_until(server.ready, timeout=60), server.log_tail()
            stop = threading.Event()
            clients = [
                threading.Thread(target=hammer, args=(server.port, stop, samples, errors))
                for _ in range(CLIENTS)
            ]
            started = time.perf_counter()
            for thread in clients:
                thread.start()
            warm_up = min(2.0, LOAD_SECONDS / 5)
            time.sleep(warm_up)  # the pages are being served, then the writes start
            deadline = time.monotonic() + LOAD_SECONDS - warm_up
            background = [
                threading.Thread(
                    target=repeat_until,
                    args=(deadline, run_import, import_durations, background_errors),
                ),
                threading.Thread(
                    target=recompute_runs,
                    args=(queue, deadline, recompute_durations, background_errors),
                ),
            ]
            for thread in background:
                thread.start()
            # The clients keep going while the writes run, up to MAX_SECONDS in all.
            for thread in background:
                thread.join(timeout=max(0.0, MAX_SECONDS - (time.perf_counter() - started)))
            writes_overlapped = not any(thread.is_alive() for thread in background)
            stop.set()
            for thread in clients:
                thread.join(timeout=60)
            elapsed = time.perf_counter() - started
            alive = server.process.poll() is None
            for thread in background:
                thread.join(timeout=300)
    finally:
        server.stop()
        drop_queue(queue)
    by_url = defaultdict(list)
    for url, status, ms in samples:
        by_url[url].append((status, ms))
    report = {
        "seconds": round(elapsed, 1),
        "clients": CLIENTS,
        "server": "gunicorn --workers 2 --threads 4",
        "recompute": "recompute_all_task on a real Celery worker",
        "urls": {
            url: {
                "requests": len(answers),
                "statuses": dict(Counter(status for status, _ms in answers)),
                "requests_per_second": round(len(answers) / elapsed, 1),
                "p50_ms": percentile([ms for _s, ms in answers], 0.50),
                "p95_ms": percentile([ms for _s, ms in answers], 0.95),
                "p99_ms": percentile([ms for _s, ms in answers], 0.99),
                "max_ms": percentile([ms for _s, ms in answers], 1.0),
            }
            for url, answers in sorted(by_url.items())
        },
        "errors": errors[:20],
        "writes_ended_under_load": writes_overlapped,
        "import": {
            "rows": rows,
            "runs": len(import_durations),
            "seconds_each": [round(d, 2) for d in import_durations],
        },
        "recompute_all": {
            "runs": len(recompute_durations),
            "seconds_each": [round(d, 2) for d in recompute_durations],
        },
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n[load] {json.dumps(report, ensure_ascii=False)}")

    assert alive, server.log_tail()
    assert errors == [], errors[:5]
    assert background_errors == []
    assert set(by_url) == set(URLS)
    assert {status for _url, status, _ms in samples} <= {200, 304}, report["urls"]
    assert import_results
    assert all(result == (rows, []) for result in import_results)
    assert recompute_durations
    assert Aggregate.objects.exists()
