"""The recompute with the real components: PostgreSQL, Redis and Celery worker
processes, a dead broker, a killed process, concurrent runs."""

import subprocess
import sys
import threading
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from contracts import services
from indicators import aggregation
from indicators.models import Aggregate, Indicator, IndicatorValue, PendingRecompute, ValueStatus
from territories.models import TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory
from tests.realservices import (
    ROOT,
    all_at_once,
    celery_worker,
    ensure_reference_data,
    subprocess_env,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff():
    ensure_reference_data()
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def contract(staff):
    contract = ContractFactory()  # Fourmies
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    return contract


def submitted(contract, staff, year, value):
    """Entered and submitted by another agent than ``staff``, who validates (four eyes)."""
    reporter = UserFactory(username=f"agent.saisie.{year}.{value}", is_staff=True)
    report = services.open_report(contract, year, reporter)
    energy = Indicator.objects.get(identifier="cae_2.a")
    services.save_report_values(report, [services.ReportedValue(energy, value)], reporter)
    return services.submit_report(report, reporter)


def nord_energy(year):
    return Aggregate.objects.filter(
        scope__kind=TerritoryKind.DEPARTEMENT,
        scope__code="59",
        indicator__identifier="cae_2.a",
        year=year,
    ).first()


@pytest.mark.redis
def test_a_real_worker_recomputes_the_aggregate_after_a_validation(contract, staff, settings):
    from tri_portal.celery import app

    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    queue = f"test-{uuid.uuid4().hex[:8]}"
    report = submitted(contract, staff, 2018, "250")
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with celery_worker(queue):
            with transaction.atomic():
                services.validate_report(report, staff)
            aggregate = wait_until(lambda: nord_energy(2018), timeout=60)
    finally:
        app.conf.task_default_queue = previous_queue

    assert aggregate is not None, "the worker did not write the aggregate"
    assert (aggregate.value, aggregate.covered_population) == (Decimal("250"), 11449)
    assert wait_until(lambda: not PendingRecompute.objects.exists(), timeout=10)


@pytest.mark.redis
def test_validating_on_the_staff_page_reaches_a_real_worker(contract, staff, client):
    from django.urls import reverse

    from tri_portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    report = submitted(contract, staff, 2019, "240")
    client.force_login(staff)
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with celery_worker(queue):
            response = client.post(
                reverse("staff_report", args=[report.pk]), {"action": "validate", "confirm": "on"}
            )
            aggregate = wait_until(lambda: nord_energy(2019), timeout=60)
    finally:
        app.conf.task_default_queue = previous_queue

    assert response.status_code == 302
    assert aggregate is not None, "the worker did not write the aggregate"
    assert aggregate.value == Decimal("240")


def test_with_the_broker_down_validations_succeed_and_the_work_waits(contract, staff):
    reports = [
        submitted(contract, staff, year, str(200 + year % 10)) for year in (2017, 2018, 2019)
    ]
    code = (
        "import django; django.setup();"
        "from django.contrib.auth import get_user_model;"
        "from contracts.models import ProgressReport; from contracts import services;"
        f"staff = get_user_model().objects.get(pk={staff.pk});"
        f"[services.validate_report(ProgressReport.objects.get(pk=pk), staff) for pk in {[r.pk for r in reports]}];"
        "print('validated')"
    )
    # A separate process, like a web worker, whose broker is unreachable.
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(
            CELERY_BROKER_URL="redis://127.0.0.1:1/0", DJANGO_SETTINGS_MODULE="tri_portal.settings"
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "validated"
    assert "reste en attente" in result.stderr
    assert PendingRecompute.objects.count() == 3
    assert not Aggregate.objects.exists()

    aggregation.recompute_pending()  # the broker is back: the next run converges
    incremental = sorted(Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value"))
    aggregation.recompute_all()
    assert (
        sorted(Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value"))
        == incremental
    )
    assert nord_energy(2019).value == Decimal("209")


def test_a_process_killed_mid_recompute_leaves_the_previous_aggregates(contract, staff):
    services.validate_report(submitted(contract, staff, 2018, "250"), staff)
    aggregation.recompute_all()
    before = sorted(
        Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value", "computed_at")
    )
    code = (
        "import django, sys, time; django.setup();"
        "from django.db import transaction;"
        "from indicators import aggregation; from indicators.models import Indicator;"
        "catalogue = {i.identifier: i for i in Indicator.objects.all()};"
        "plan = aggregation.plan_for(catalogue['cae_2.a'], catalogue);"
        "atomic = transaction.atomic(); atomic.__enter__();"
        "aggregation.replace_aggregates([plan], None, None);"
        "print('written', flush=True); time.sleep(120)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "written"
        # Mid-transaction: readers still see the previous rows.
        assert (
            sorted(
                Aggregate.objects.values_list(
                    "scope_id", "indicator_id", "year", "value", "computed_at"
                )
            )
            == before
        )
    finally:
        process.kill()
        process.wait(timeout=20)

    assert (
        sorted(
            Aggregate.objects.values_list(
                "scope_id", "indicator_id", "year", "value", "computed_at"
            )
        )
        == before
    )
    run = aggregation.recompute_all()  # the next run completes
    assert run.aggregates_written == len(before)


def test_concurrent_recomputes_give_the_same_result_as_one(contract, staff):
    services.validate_report(submitted(contract, staff, 2018, "250"), staff)
    aggregation.recompute_all()
    expected = sorted(Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value"))

    results = all_at_once(lambda _index: aggregation.recompute_all(), count=4)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert (
        sorted(Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value"))
        == expected
    )


def test_concurrent_incremental_and_full_runs_count_a_new_candidate_once(contract, staff):
    """The incremental run adds a new candidate inside a counted EPCI to the counts in
    place: two workers, and full recomputes alongside, must not add it twice."""
    epci = contract.territory.member_of.get(kind=TerritoryKind.EPCI)
    energy = Indicator.objects.get(identifier="cae_2.a")
    IndicatorValue.objects.create(
        territory=epci,
        indicator=energy,
        year=2018,
        value=Decimal("1000"),
        status=ValueStatus.VALIDATED,
        validated_at=timezone.now(),
    )
    aggregation.recompute_all()
    with transaction.atomic():
        services.validate_report(submitted(contract, staff, 2018, "250"), staff)

    jobs = [aggregation.recompute_pending, aggregation.recompute_pending, aggregation.recompute_all]
    results = all_at_once(lambda index: jobs[index](), count=len(jobs))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert not PendingRecompute.objects.exists()
    nord = nord_energy(2018)
    assert (nord.value, nord.contributors, nord.computed_from["candidates"]) == (
        Decimal("1000"),
        1,
        2,
    )


def test_readers_never_see_a_half_written_set(contract, staff):
    for year, value in ((2018, "250"), (2019, "240")):
        services.validate_report(submitted(contract, staff, year, value), staff)
    aggregation.recompute_all()
    complete = Aggregate.objects.filter(indicator__identifier="cae_2.a").count()
    Aggregate.objects.filter(indicator__identifier="cae_2.a", year=2019).delete()  # a stale set
    stale = Aggregate.objects.filter(indicator__identifier="cae_2.a").count()
    written, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                catalogue = {i.identifier: i for i in Indicator.objects.all()}
                plan = aggregation.plan_for(catalogue["cae_2.a"], catalogue)
                aggregation.replace_aggregates([plan], None, None)
                written.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(timeout=60)
    during = Aggregate.objects.filter(indicator__identifier="cae_2.a").count()
    release.set()
    thread.join(timeout=60)
    after = Aggregate.objects.filter(indicator__identifier="cae_2.a").count()

    assert (stale, complete) == (
        3,
        6,
    )  # 2018 and 2019 for Hauts-de-France, Nord, CC du Sud Avesnois
    assert during == stale  # while the writer has not committed: the old set, whole
    assert after == complete
    assert connection.vendor == "postgresql"
