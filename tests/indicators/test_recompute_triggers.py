"""Validations schedule the recompute of only what they affect; the work is recorded
in the database first, so nothing is lost when the broker is down."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from contracts import services
from indicators import aggregation, tasks
from indicators.models import (
    Aggregate,
    Indicator,
    IndicatorValue,
    PendingRecompute,
    RecomputeRun,
    ValueStatus,
)
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def fourmies_contract(staff):
    contract = ContractFactory()  # Fourmies, 2017-10-24 → 2020-10-23
    TargetFactory(contract=contract)  # cae_2.a, baseline 2015
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    return contract


def validate(contract, staff, year, **values):
    """Entered and submitted by another agent (four eyes), validated by ``staff``."""
    reporter = UserFactory(username=f"agent.saisie.{year}", is_staff=True)
    report = services.open_report(contract, year, reporter)
    services.save_report_values(
        report,
        [services.ReportedValue(Indicator.objects.get(identifier=i), v) for i, v in values.items()],
        reporter,
    )
    services.submit_report(report, reporter)
    return services.validate_report(report, staff)


def nord():
    return Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="59")


def test_validation_records_the_pending_work_in_the_same_transaction(fourmies_contract, staff):
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})

    pending = PendingRecompute.objects.get()
    assert (pending.territory, pending.indicator.identifier, pending.year) == (
        fourmies_contract.territory,
        "cae_2.a",
        2018,
    )


def test_the_recompute_is_sent_only_after_commit(
    fourmies_contract, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})

    names = [c.__name__ for c in callbacks]
    assert names.count("enqueue_pending_recompute") == 1  # the others send e-mails
    assert not Aggregate.objects.exists()


def test_with_eager_tasks_the_aggregates_change_right_after_validation(
    fourmies_contract, staff, django_capture_on_commit_callbacks, settings
):
    assert settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250", "cae_3.a": "25000"})
    aggregation.recompute_pending()  # what the task does, in-process

    energy = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    share = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_3.b", year=2018)
    assert (energy.value, energy.contributors, energy.covered_population) == (
        Decimal("250"),
        1,
        11449,
    )
    assert share.value == Decimal("10")  # 25 000 MWh / 1000 / 250 GWh × 100
    assert not PendingRecompute.objects.exists()
    assert [c.__name__ for c in callbacks].count("enqueue_pending_recompute") == 1


def test_the_incremental_recompute_touches_only_the_scopes_above_the_territory(
    fourmies_contract, staff
):
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})

    aggregation.recompute_pending()

    scopes = set(
        Aggregate.objects.filter(indicator__identifier="cae_2.a").values_list(
            "scope__name", flat=True
        )
    )
    assert scopes == {"Hauts-de-France", "Nord", "CC du Sud Avesnois"}


def test_pending_work_is_kept_until_a_run_handles_it(fourmies_contract, staff):
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})
    validate(fourmies_contract, staff, 2019, **{"cae_2.a": "240"})
    assert PendingRecompute.objects.count() == 2

    run = aggregation.recompute_pending()

    assert run.pending_handled == 2
    assert not PendingRecompute.objects.exists()
    years = Aggregate.objects.filter(scope=nord(), indicator__identifier="cae_2.a")
    assert sorted(years.values_list("year", "value")) == [
        (2018, Decimal("250")),
        (2019, Decimal("240")),
    ]


def test_pending_then_incremental_converges_to_a_full_recompute(fourmies_contract, staff):
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250", "cae_3.a": "25000"})
    aggregation.recompute_pending()
    incremental = sorted(Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value"))

    aggregation.recompute_all()

    full = sorted(Aggregate.objects.values_list("scope_id", "indicator_id", "year", "value"))
    assert incremental == full


def test_a_full_recompute_clears_the_pending_work(fourmies_contract, staff):
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})

    run = aggregation.recompute_all(trigger="nightly")

    assert run.pending_handled == 1
    assert not PendingRecompute.objects.exists()


# --- What a validation cannot change is left as it is ------------------------------------


def sud_avesnois():
    return Territory.objects.get(kind=TerritoryKind.EPCI, name="CC du Sud Avesnois")


def epci_reports_energy(value="1000", year=2018, territory=None):
    return IndicatorValue.objects.create(
        territory=territory or sud_avesnois(),
        indicator=Indicator.objects.get(identifier="cae_2.a"),
        year=year,
        value=Decimal(value),
        status=ValueStatus.VALIDATED,
        validated_at=timezone.now(),
    )


def correct(value, new_value, staff):
    services.correct_validated_value(value, new_value, "Erreur de saisie", staff)


def energy_rows():
    """The energy aggregates as stored, computed_at and row ids included."""
    return sorted(
        Aggregate.objects.filter(indicator__identifier="cae_2.a").values_list(
            "id", "scope_id", "year", "value", "contributors", "computed_at", "computed_from"
        )
    )


def figures(rows):
    """What a full recompute must give too (not when it was computed)."""
    return sorted(
        (scope, year, value, contributors, from_["kept"], from_["candidates"])
        for _id, scope, year, value, contributors, _at, from_ in rows
    )


def test_a_commune_replacing_a_value_its_reporting_epci_covers_changes_no_figure(
    fourmies_contract, staff
):
    epci_reports_energy()
    [value] = validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})
    aggregation.recompute_all()
    before = energy_rows()

    correct(value, "260", staff)
    run = aggregation.recompute_pending()

    after = energy_rows()
    assert run.pending_handled == 1
    assert not PendingRecompute.objects.exists()
    assert figures(after) == figures(before)  # the EPCI's 1000 counts, not Fourmies
    assert [row[0] for row in after] == [row[0] for row in before]  # updated in place
    assert all(new[5] > old[5] for new, old in zip(after, before, strict=True))
    aggregation.recompute_all()
    assert figures(energy_rows()) == figures(before)


def test_a_new_value_inside_a_reporting_epci_is_one_more_candidate(fourmies_contract, staff):
    epci_reports_energy()
    aggregation.recompute_all()
    before = energy_rows()

    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})  # the first for 2018
    aggregation.recompute_pending()

    assert [row[0] for row in energy_rows()] == [row[0] for row in before]  # updated in place
    in_nord = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    assert (in_nord.value, in_nord.contributors) == (Decimal("1000"), 1)
    assert in_nord.computed_from["candidates"] == 2
    incremental = figures(energy_rows())
    aggregation.recompute_all()
    assert figures(energy_rows()) == incremental


def test_a_run_interrupted_after_counting_is_not_counted_twice(
    fourmies_contract, staff, monkeypatch
):
    epci_reports_energy()
    aggregation.recompute_all()
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(aggregation.runs, "_run", crash)
        with pytest.raises(RuntimeError):
            aggregation.recompute_pending()
    assert PendingRecompute.objects.exists()  # kept for the next run
    aggregation.recompute_pending()

    in_nord = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    assert in_nord.computed_from["candidates"] == 2  # EPCI and Fourmies, not 3


def test_aggregates_computed_after_the_validation_are_not_counted_again(fourmies_contract, staff):
    epci_reports_energy()
    aggregation.recompute_all()
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})
    aggregation.recompute(indicators=[Indicator.objects.get(identifier="cae_2.a")])

    aggregation.recompute_pending()  # its aggregates already count Fourmies

    in_nord = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    assert in_nord.computed_from["candidates"] == 2


def test_a_replaced_value_that_is_counted_is_recomputed(fourmies_contract, staff):
    [value] = validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})
    aggregation.recompute_pending()

    correct(value, "260", staff)  # nothing above reports
    aggregation.recompute_pending()

    in_nord = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    assert in_nord.value == Decimal("260")


def test_a_replaced_value_of_the_year_the_epci_does_not_report_is_recomputed(
    fourmies_contract, staff
):
    epci_reports_energy(year=2019)
    [value] = validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})
    aggregation.recompute_all()

    correct(value, "260", staff)
    aggregation.recompute_pending()

    in_nord = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    assert in_nord.value == Decimal("260")


def test_pending_work_of_unknown_origin_is_always_recomputed(fourmies_contract, staff):
    epci_reports_energy()
    validate(fourmies_contract, staff, 2018, **{"cae_2.a": "250"})
    aggregation.recompute_all()
    before = energy_rows()
    PendingRecompute.objects.create(  # recorded without saying whether it replaced a value
        territory=fourmies_contract.territory,
        indicator=Indicator.objects.get(identifier="cae_2.a"),
        year=2018,
    )

    aggregation.recompute_pending()

    assert figures(energy_rows()) == figures(before)
    assert energy_rows() != before  # rewritten


def test_validations_and_corrections_say_which_values_they_replaced(fourmies_contract, staff):
    epci_reports_energy(territory=fourmies_contract.territory)  # from another source
    [_replacing, new] = validate(
        fourmies_contract, staff, 2018, **{"cae_2.a": "250", "cae_3.a": "25000"}
    )
    correct(new, "26000", staff)

    recorded = PendingRecompute.objects.order_by("id").values_list(
        "indicator__identifier", "replaced"
    )
    assert list(recorded) == [("cae_2.a", True), ("cae_3.a", False), ("cae_3.a", True)]


def test_enqueueing_never_fails_the_caller(monkeypatch):
    def broker_down():
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.recompute_pending_task, "delay", broker_down)

    assert tasks.enqueue_pending_recompute() is False


def test_the_nightly_full_recompute_is_scheduled(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="indicators.recompute_all")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "3",
        "15",
        "Europe/Paris",
    )


def test_the_command_on_the_demo_data_prints_what_it_did(demo, settings):
    out = io.StringIO()

    call_command("recompute_aggregates", stdout=out, stderr=io.StringIO())

    run = RecomputeRun.objects.first()
    assert run.aggregates_written > 0
    assert out.getvalue().startswith("Agrégats recalculés en ")
    assert f"{run.indicators} indicateur(s), {run.aggregates_written} agrégat(s) écrit(s)" in (
        out.getvalue()
    )


def test_the_command_restricted_to_one_indicator_and_year(demo):
    Aggregate.objects.all().delete()

    call_command(
        "recompute_aggregates",
        "--indicator",
        "cae_2.a",
        "--year",
        "2018",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert set(Aggregate.objects.values_list("indicator__identifier", "year")) == {
        ("cae_2.a", 2018)
    }


def test_the_demo_data_give_sensible_regional_numbers(demo_recomputed):
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")

    def regional(identifier, year):
        return Aggregate.objects.get(scope=region, indicator__identifier=identifier, year=year)

    # ≈ 202 TWh of final energy in 2018, 48.0 Mt CO2e in 2021, renewables ≈ 15 % in 2021
    assert regional("cae_2.a", 2018).value == Decimal("202000")
    assert regional("cae_1.a", 2021).value == Decimal("48000")
    assert Decimal(14) < regional("cae_3.b", 2021).value < Decimal(17)
    assert regional("cae_2.a", 2018).covered_population == region.population
    nord_energy = Aggregate.objects.get(scope=nord(), indicator__identifier="cae_2.a", year=2018)
    # Nord: the SCoT Sambre-Avesnois (Fourmies and four EPCIs inside) and the 12 other
    # EPCIs wholly in Nord (the observatory's figures; Grande-Synthe inside the CU de
    # Dunkerque), counted once each: 16 EPCIs wholly in Nord − 4 + the SCoT
    assert nord_energy.contributors == 13
    assert nord_energy.conflicts == []
