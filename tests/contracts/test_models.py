"""Invariants of contracts and targets: constraints in the database, French messages."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contracts.models import ContractStatus, ProgressReport, ReportStatus, three_year_end_dates
from tests.contracts.factories import ContractFactory, ReportFactory, TargetFactory, indicator


def test_a_three_year_contract_ends_the_day_before_its_third_anniversary():
    assert date(2020, 10, 23) in three_year_end_dates(date(2017, 10, 24))
    assert date(2027, 2, 28) in three_year_end_dates(date(2024, 2, 29))


def test_a_contract_must_last_three_years_unless_a_reason_is_given(fourmies):
    contract = ContractFactory.build(territory=fourmies, end_date=date(2021, 12, 31))

    with pytest.raises(ValidationError) as excinfo:
        contract.full_clean()

    assert "dure trois ans" in excinfo.value.message_dict["duration_override_reason"][0]
    contract.duration_override_reason = "Avenant de prolongation signé le 1er juin 2020"
    contract.full_clean()


def test_end_before_start_is_refused_by_the_form_and_the_database(db):
    contract = ContractFactory.build(start_date=date(2020, 1, 1), end_date=date(2019, 1, 1))
    with pytest.raises(ValidationError, match="postérieure à la date de début"):
        contract.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.save()


def test_a_signed_contract_has_a_signature_date_in_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(status=ContractStatus.SIGNED, signed_on=None)


def test_target_year_must_follow_baseline_year(db):
    target = TargetFactory.build(contract=ContractFactory(), baseline_year=2020, target_year=2020)
    with pytest.raises(ValidationError, match="postérieure à l'année de référence"):
        target.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        target.save()


def test_target_values_are_bounded_by_the_unit(db):
    target = TargetFactory.build(
        contract=ContractFactory(), indicator=indicator("cae_3.a"), target_value=Decimal("-1")
    )
    with pytest.raises(ValidationError) as excinfo:
        target.full_clean()
    assert "hors des bornes plausibles" in excinfo.value.message_dict["target_value"][0]


def test_one_target_per_indicator_and_horizon(db):
    first = TargetFactory()
    duplicate = TargetFactory.build(contract=first.contract)
    with pytest.raises(ValidationError, match="déjà un objectif pour cet indicateur"):
        duplicate.full_clean()


def test_one_report_per_contract_per_year(db):
    report = ReportFactory()
    with pytest.raises(ValidationError, match="déjà un rapport pour cette année"):
        ProgressReport(contract=report.contract, year=report.year).full_clean()


def test_a_rejected_report_has_a_reason_in_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(status=ReportStatus.REJECTED, rejection_reason="")


def test_negative_action_budget_is_refused(db):
    from contracts.models import Action, ContractTheme

    action = Action(
        contract=ContractFactory(), theme=ContractTheme.objects.first(), title="x", budget=-1
    )
    with pytest.raises(ValidationError):
        action.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        action.save()
