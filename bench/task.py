"""One measurement in its own process: ``python -m bench.task NAME [JSON args]``.

Runs with ``DJANGO_SETTINGS_MODULE=bench.settings`` and the ``DATABASE_URL`` of the
database to measure, and prints one JSON object on its last line of stdout. A fresh
process per measurement keeps caches and memory of one from leaking into the next, and
gives B6 the peak RSS of the recompute alone."""

import importlib
import json
import os
import resource
import sys
import time
from contextlib import contextmanager


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor_sum() -> dict:
    """B1's floor: one SUM … GROUP BY over every validated value joined to the closure
    table (every scope containing the territory), no overlap resolution, rows fetched."""
    from django.db import connection

    from indicators.aggregation import SCOPE_KINDS, TABLES

    kinds = ", ".join(f"'{kind}'" for kind in SCOPE_KINDS)
    sql = f"""
        SELECT c.ancestor_id, v.indicator_id, v.year, SUM(v.value), COUNT(*)
        FROM {TABLES["iv"]} v
        JOIN {TABLES["c"]} c ON c.descendant_id = v.territory_id AND c.contains_whole
        JOIN {TABLES["t"]} s ON s.id = c.ancestor_id AND s.kind IN ({kinds})
        WHERE v.status = 'validated'
        GROUP BY c.ancestor_id, v.indicator_id, v.year"""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return {"seconds": time.perf_counter() - started, "rows": len(rows)}


# B8: the work issue 20 adds to the full recompute, timed inside B1 — each (module,
# function) is looked up where ``refresh_contract_stats`` calls it and wrapped in a timer.
ISSUE_20_EXTRA = [
    ("contracts.stats", "refresh_effort_shares"),  # the shares of the regional effort
    ("contracts.stats", "refresh_required_changes"),  # their part depending on values
    ("contracts.stats", "refresh_alignments"),  # the targets' alignment with the path
]


@contextmanager
def peer_job_apart():
    """The peer statistics are a job of their own that a run sends to the workers (run
    in-process in eager mode, as here): kept out of B1 and B2, the work sent is yielded
    (B1 times the job apart, after the run)."""
    from indicators.aggregation import runs

    sent = []
    enqueue, runs.enqueue_peer_statistics = runs.enqueue_peer_statistics, sent.append
    try:
        yield sent
    finally:
        runs.enqueue_peer_statistics = enqueue


@contextmanager
def timed_calls(targets: list[tuple[str, str]]):
    """Patch each (module, function) with a wrapper adding its duration to the yielded
    ``{"seconds": …, "calls": …}``."""
    spent = {"seconds": 0.0, "calls": 0}
    originals = []
    for module_name, name in targets:
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        originals.append((module, name, original))

        def timed(*args, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent["seconds"] += time.perf_counter() - started
                spent["calls"] += 1

        setattr(module, name, timed)
    try:
        yield spent
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def ensure_regional_goals() -> int:
    """Give every region without them the three 2050 goals of the demo (energy −60 %,
    GHG ÷4, renewable share 100 % from 2012): the synthetic data has none, and without
    a regional path the shares of effort (B8) would stop before their work. Written with
    ``bulk_create`` (no refresh is scheduled); their values do not change the work."""
    from decimal import Decimal

    from indicators.models import Indicator, RegionalGoal
    from territories.models import Territory, TerritoryKind

    goals = {"cae_2.a": (1000, 400), "cae_1.a": (1000, 250), "cae_3.b": (10, 100)}
    indicators = {i.identifier: i for i in Indicator.objects.filter(identifier__in=goals)}
    have = set(RegionalGoal.objects.values_list("territory_id", "indicator_id"))
    rows = [
        RegionalGoal(
            territory=region,
            indicator=indicators[identifier],
            baseline_year=2012,
            baseline_value=Decimal(baseline),
            target_year=2050,
            target_value=Decimal(target),
            adopted_by="Objectifs synthétiques (bench)",
            is_demo=True,
        )
        for region in Territory.objects.filter(kind=TerritoryKind.REGION)
        for identifier, (baseline, target) in goals.items()
        if identifier in indicators and (region.pk, indicators[identifier].pk) not in have
    ]
    RegionalGoal.objects.bulk_create(rows)
    return len(rows)


def recompute() -> dict:
    """B1: the full recompute exactly as the nightly job runs it (aggregates and the
    contract figures refreshed after it); B8: the part of it issue 20 added."""
    from indicators.aggregation import recompute_all
    from indicators.peers import refresh_peer_statistics

    ensure_regional_goals()
    with peer_job_apart() as sent, timed_calls(ISSUE_20_EXTRA) as extra:
        started = time.perf_counter()
        run = recompute_all(trigger="bench")
        seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    started = time.perf_counter()
    peer_rows = refresh_peer_statistics()
    return {
        "seconds": seconds,
        "extra_seconds": extra["seconds"],
        "extra_calls": extra["calls"],
        "aggregates": run.aggregates_written,
        "indicators": run.indicators,
        "peak_rss_mb": peak,
        "peer_job_seconds": time.perf_counter() - started,
        "peer_job_rows": peer_rows,
        "peer_job_sent": len(sent),
        "peak_rss_with_peer_job_mb": peak_rss_mb(),
    }


def incremental(kind: str | None = None) -> dict:
    """B2: validate one submitted report (of a territory of this ``kind``: any by
    default, the largest communes first) through the staff service, then time the
    incremental recompute a worker runs for it (``recompute_pending``)."""
    from django.contrib.auth import get_user_model

    from contracts.models import ProgressReport, ReportStatus
    from contracts.services import validate_report
    from indicators.aggregation import recompute_pending
    from indicators.models import PendingRecompute
    from tri_portal.celery import app

    reports = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
    if kind is not None:
        reports = reports.filter(contract__territory__kind=kind)
    report = (
        reports.select_related("contract__territory")
        .order_by("contract__territory__kind", "-contract__territory__population", "pk")
        .first()
    )
    if report is None and kind is not None:
        return {"seconds": None, "report": None}
    if report is None:
        raise SystemExit("Aucun rapport soumis à valider : régénérez la base (--fresh).")
    staff, _created = get_user_model().objects.get_or_create(
        username="bench.staff", defaults={"is_staff": True}
    )
    PendingRecompute.objects.all().delete()
    validate_report(report, staff)
    app.control.purge()  # the worker's copy of this job: we run it here, timed
    pending = PendingRecompute.objects.count()
    with peer_job_apart():
        started = time.perf_counter()
        run = recompute_pending(trigger="bench")
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "report": f"{report.contract.reference} {report.year}",
        "territory": report.contract.territory.name,
        "pending": pending,
        "aggregates": run.aggregates_written if run else 0,
    }


# B9: one headline indicator no other headline indicator is computed from (GHG).
PEER_INDICATOR = "cae_1.a"


def floor_peers() -> dict:
    """B9's floor: one SUM … GROUP BY over the validated values of the indicator of
    every EPCI (all years), joined to their territories, rows fetched."""
    from django.db import connection

    from indicators.aggregation import TABLES
    from indicators.models import Indicator

    indicator = Indicator.objects.get(identifier=PEER_INDICATOR)
    sql = f"""
        SELECT v.year, t.epci_nature, SUM(v.value), COUNT(*)
        FROM {TABLES["iv"]} v JOIN {TABLES["t"]} t ON t.id = v.territory_id
        WHERE v.indicator_id = %s AND v.status = 'validated' AND t.kind = 'epci'
        GROUP BY v.year, t.epci_nature"""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [indicator.pk])
        rows = cursor.fetchall()
    return {"seconds": time.perf_counter() - started, "rows": len(rows)}


def peers() -> dict:
    """B9: the peer statistics of every EPCI for one indicator, all years, as the
    aggregate jobs compute and store them (``indicators.peers``)."""
    from indicators.models import Indicator, PeerStatistic
    from indicators.peers import refresh_peer_statistics
    from indicators.peers.refresh import peer_kinds_of
    from territories.models import TerritoryKind

    catalogue = {i.identifier: i for i in Indicator.objects.all()}  # the jobs have it
    indicator = catalogue[PEER_INDICATOR]
    started = time.perf_counter()
    written = refresh_peer_statistics([(indicator, None)], catalogue, kinds=[TerritoryKind.EPCI])
    seconds = time.perf_counter() - started
    values = indicator.values.filter(status="validated", territory__kind="epci").count()
    epci_kinds = peer_kinds_of([TerritoryKind.EPCI])  # the communes' rows are left alone
    assert PeerStatistic.objects.filter(indicator=indicator, peer_kind__in=epci_kinds).count() == (
        written
    )
    return {"seconds": seconds, "statistics": written, "values": values}


def http(duration: float, connections: int, threads: int) -> dict:
    from bench import http as http_bench

    return {"results": [r.as_dict() for r in http_bench.run(duration, connections, threads)]}


def imports(rows: int) -> dict:
    from bench import imports as import_bench

    return {"results": [r.as_dict() for r in import_bench.run(rows)]}


TASKS = {
    "floor_sum": floor_sum,
    "floor_peers": floor_peers,
    "peers": peers,
    "recompute": recompute,
    "incremental": incremental,
    "http": http,
    "imports": imports,
}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    name = argv[0]
    kwargs = json.loads(argv[1]) if len(argv) > 1 else {}
    result = TASKS[name](**kwargs)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
