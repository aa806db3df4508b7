"""B3 (API list of values), B4 (public cached dashboard) and B7 (the map against the
dashboard, both gzipped as browsers ask) under a loopback load.

gunicorn serves ``tri_portal.wsgi`` with ``bench.settings`` (the portal plus the floor
views of ``bench.urls``) on the bench's PostgreSQL and Redis; wrk loads one URL at a
time with fixed connections and threads. Each figure is measured next to its floor,
interleaved (floor, figure, five times), and the best run of each is kept: on a shared
2-core machine the best run is the one least disturbed by the rest of the system.

gunicorn runs 2 sync workers (one per core of the reference machine, the worker class of
the production image), the same for the figures and the floors."""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.results import AT_LEAST, Result

WRK = "/usr/bin/wrk"
WORKERS = 2
ROUNDS = 5  # floor, figure, floor, figure… (the machine is noisy: runs vary by ±20 %)
SMOKE_ROUNDS = 2  # runs of one second (make bench-smoke, in CI): the code runs, no target
MAX_DURATION = 30.0
WARMUP_SECONDS = 1
START_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parent.parent

VALUES_URL = "/api/v1/values/?indicator=cae_2.a&page_size={page_size}"
FLOOR_VALUES_URL = "/bench/floor/values/"
DASHBOARD_URL = "/tableau-de-bord/"
MAP_URL = "/carte/"
GZIP = ("Accept-Encoding: gzip",)  # what every browser sends
MAP_MAX_GZIPPED_BYTES = 500_000
FLOOR_CONSTANT_URL = "/bench/floor/constant/?size={size}"


class BenchError(RuntimeError):
    """The benchmark cannot run (missing tool, server that does not start…)."""


# --- wrk --------------------------------------------------------------------------


@dataclass
class WrkRun:
    url: str
    requests_per_second: float
    requests: int
    non_2xx: int = 0  # wrk counts statuses above 399 ("Non-2xx or 3xx responses")
    socket_errors: int = 0  # connect + read + write + timeout

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


_REQUESTS_RE = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_RATE_RE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_SOCKET_RE = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
_NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses: (\d+)", re.MULTILINE)


def parse_wrk(output: str, url: str = "") -> WrkRun:
    """The figures of wrk's text report; raises BenchError on an unreadable report."""
    rate = _RATE_RE.search(output)
    requests = _REQUESTS_RE.search(output)
    if rate is None or requests is None:
        raise BenchError(f"wrk report unreadable for {url or 'the run'}:\n{output}")
    sockets = _SOCKET_RE.search(output)
    non_2xx = _NON_2XX_RE.search(output)
    return WrkRun(
        url=url,
        requests_per_second=float(rate.group(1)),
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def wrk_path() -> str:
    path = WRK if os.access(WRK, os.X_OK) else shutil.which("wrk")
    if not path:
        raise BenchError(
            "wrk est introuvable (/usr/bin/wrk) : installez le paquet Debian « wrk » "
            "(apt-get install wrk) pour mesurer B3 et B4."
        )
    return path


def run_wrk(
    base: str, url: str, seconds: int, connections: int, threads: int, headers=()
) -> WrkRun:
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        *(argument for header in headers for argument in ("-H", header)),
        base + url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}) on {url}:\n{done.stderr}{done.stdout}")
    return parse_wrk(done.stdout, url)


# --- gunicorn ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn on a free loopback port, in its own process group; ``stop()`` ends
    the master and its workers (always call it: ``with Gunicorn() as server``)."""

    def __init__(self, workers: int = WORKERS):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            "w+", prefix="bench-gunicorn-", suffix=".log", delete=False
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "TRI_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        if env.get("SECRET_KEY", settings.DEV_SECRET_KEY) == settings.DEV_SECRET_KEY:
            env["SECRET_KEY"] = "bench-" + secrets.token_urlsafe(
                40
            )  # DEBUG off refuses the dev key
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tri_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self):
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn s'est arrêté au démarrage :\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn ne répond pas après {START_TIMEOUT:g} s :\n{self.log_tail()}")

    def get(self, url: str, headers: dict | None = None) -> tuple[int, bytes]:
        """Status and body as sent (a gzipped body stays compressed)."""
        request = urllib.request.Request(self.base + url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# --- Measures ---------------------------------------------------------------------


def api_query_counts() -> dict[int, int]:
    """Queries of an anonymous ``/api/v1/values/`` page of 10 and of 100 rows, measured
    in this process once each page has been asked for once (a warm count cache)."""
    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for page_size in (10, 100):
        url = VALUES_URL.format(page_size=page_size)
        response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"{url} : HTTP {response.status_code} {response.content[:300]!r}")
    for page_size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            client.get(VALUES_URL.format(page_size=page_size))
        counts[page_size] = len(queries)
    return counts


def expect_ok(server: Gunicorn, url: str, headers: dict | None = None) -> bytes:
    status, body = server.get(url, headers)
    if status != 200:
        raise BenchError(f"{url} : HTTP {status} attendu 200\n{body[:500]!r}\n{server.log_tail()}")
    return body


def side_by_side(server, figure_url, floor_url, duration, connections, threads, headers=()):
    """Best requests/s of the figure and of the floor, runs interleaved."""
    seconds = max(1, min(round(duration), int(MAX_DURATION)))
    for url in (floor_url, figure_url):  # every worker imported, connected, warm
        run_wrk(server.base, url, WARMUP_SECONDS, connections, threads, headers)
    floors, figures = [], []
    for _round in range(SMOKE_ROUNDS if seconds <= 1 else ROUNDS):
        floors.append(run_wrk(server.base, floor_url, seconds, connections, threads, headers))
        figures.append(run_wrk(server.base, figure_url, seconds, connections, threads, headers))
    return figures, floors


def best(runs: list[WrkRun]) -> float:
    return max(run.requests_per_second for run in runs)


def load_details(figures, floors, connections, threads, seconds) -> dict:
    return {
        "figure_runs_rps": [round(r.requests_per_second, 1) for r in figures],
        "floor_runs_rps": [round(r.requests_per_second, 1) for r in floors],
        "kept": f"best run of each ({len(figures)} interleaved rounds: floor, then figure)",
        "errors": sum(r.errors for r in figures + floors),
        "wrk": f"{threads} threads, {connections} connections, {seconds} s per run",
        "gunicorn": f"{WORKERS} sync workers",
    }


def b3(server, duration, connections, threads) -> Result:
    figure_url = VALUES_URL.format(page_size=100)
    api = expect_ok(server, figure_url)
    expect_ok(server, FLOOR_VALUES_URL)
    counts = api_query_counts()
    figures, floors = side_by_side(
        server, figure_url, FLOOR_VALUES_URL, duration, connections, threads
    )
    details = load_details(figures, floors, connections, threads, round(duration))
    details.update(
        queries_page_size_10=counts[10],
        queries_page_size_100=counts[100],
        response_bytes=len(api),
    )
    return Result(
        id="B3",
        name=f"API {figure_url}",
        figure=best(figures),
        floor=best(floors),
        unit="req/s",
        op=AT_LEAST,
        bound=0.5,
        floor_name="vue Django .values() + JsonResponse, mêmes 100 lignes",
        details=details,
        checks=[
            ("même nombre de requêtes SQL pour page_size 10 et 100", counts[10] == counts[100]),
            ("aucune erreur HTTP ni socket", details["errors"] == 0),
        ],
    )


def b4(server, duration, connections, threads) -> Result:
    expect_ok(server, DASHBOARD_URL)  # renders and caches the page
    page = expect_ok(server, DASHBOARD_URL)  # served from the cache
    floor_url = FLOOR_CONSTANT_URL.format(size=len(page))
    expect_ok(server, floor_url)
    figures, floors = side_by_side(server, DASHBOARD_URL, floor_url, duration, connections, threads)
    details = load_details(figures, floors, connections, threads, round(duration))
    details.update(page_bytes=len(page))
    return Result(
        id="B4",
        name=f"Tableau de bord public en cache {DASHBOARD_URL}",
        figure=best(figures),
        floor=best(floors),
        unit="req/s",
        op=AT_LEAST,
        bound=0.8,
        floor_name="vue Django, page HTML constante de même taille",
        details=details,
        checks=[("aucune erreur HTTP ni socket", details["errors"] == 0)],
    )


def b7(server, duration, connections, threads) -> Result:
    """The map page against the cached dashboard, both as a browser asks for them
    (gzip): what the map's outlines cost a reader and the server once cached."""
    gzip_header = dict(header.split(": ", 1) for header in GZIP)
    sizes = {}
    for url in (MAP_URL, DASHBOARD_URL):
        expect_ok(server, url)  # renders and caches the page
        sizes[url] = (len(expect_ok(server, url)), len(expect_ok(server, url, gzip_header)))
    figures, floors = side_by_side(
        server, MAP_URL, DASHBOARD_URL, duration, connections, threads, GZIP
    )
    details = load_details(figures, floors, connections, threads, round(duration))
    details.update(
        map_bytes=sizes[MAP_URL][0],
        map_gzipped_bytes=sizes[MAP_URL][1],
        dashboard_bytes=sizes[DASHBOARD_URL][0],
        dashboard_gzipped_bytes=sizes[DASHBOARD_URL][1],
        transferred_ratio=round(sizes[MAP_URL][1] / sizes[DASHBOARD_URL][1], 2),
    )
    return Result(
        id="B7",
        name=f"Carte {MAP_URL} en cache, compressée (gzip)",
        figure=best(figures),
        floor=best(floors),
        unit="req/s",
        op=AT_LEAST,
        bound=0.8,
        floor_name=f"tableau de bord en cache {DASHBOARD_URL}, compressé (gzip)",
        details=details,
        checks=[
            (
                f"carte ≤ {MAP_MAX_GZIPPED_BYTES // 1000} Ko compressée",
                sizes[MAP_URL][1] <= MAP_MAX_GZIPPED_BYTES,
            ),
            ("aucune erreur HTTP ni socket", details["errors"] == 0),
        ],
    )


def run(duration: float, connections: int, threads: int) -> list[Result]:
    """B3 and B4 (Django set up with ``bench.settings`` on a populated PostgreSQL)."""
    wrk_path()
    if connection.vendor != "postgresql":
        raise BenchError("B3/B4 mesurent sur PostgreSQL : DATABASE_URL=postgres://…")
    if settings.ROOT_URLCONF != "bench.urls":
        raise BenchError("B3/B4 : DJANGO_SETTINGS_MODULE=bench.settings attendu.")
    call_command("collectstatic", "--noinput", verbosity=0)  # the manifest of DEBUG off
    connection.close()  # gunicorn's workers open their own connections
    with Gunicorn() as server:
        return [
            b3(server, duration, connections, threads),
            b4(server, duration, connections, threads),
            b7(server, duration, connections, threads),
        ]
