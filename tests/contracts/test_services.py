"""Contract and report state changes: allowed transitions, refused ones, bad input."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contracts import services
from contracts.models import ContractStatus, ReportStatus
from indicators.models import IndicatorValue, PendingRecompute, ValueStatus
from kit.cache import bump_data_version
from tests.contracts.factories import (
    ContractFactory,
    TargetFactory,
    accept_verdicts,
    indicator,
    signable,
)
from tests.factories import UserFactory

S = ContractStatus


@pytest.fixture
def staff(db):
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def officer(db):
    return UserFactory(username="referent")


@pytest.fixture
def active_contract(staff):
    contract = ContractFactory()
    TargetFactory(contract=contract)  # cae_2.a, baseline 2015 → 2020
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    return contract


def entry(identifier, value, **kwargs):
    return services.ReportedValue(indicator(identifier), value, **kwargs)


def submitted_report(contract, officer, values: dict, year=2018):
    report = services.open_report(contract, year, officer)
    services.save_report_values(report, [entry(i, v) for i, v in values.items()], officer)
    return services.submit_report(report, officer)


# --- Contracts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["sign"], S.SIGNED),
        (["sign", "activate"], S.ACTIVE),
        (["sign", "activate", "complete"], S.COMPLETED),
        (["sign", "terminate"], S.TERMINATED),
        (["sign", "activate", "terminate"], S.TERMINATED),
    ],
)
def test_allowed_contract_transitions(staff, path, final):
    contract = ContractFactory()
    steps = {
        "sign": lambda c: services.sign_contract(signable(c), staff, signed_on=date(2017, 10, 24)),
        "activate": lambda c: services.activate_contract(c, staff, activated_on=c.signed_on),
        "complete": lambda c: services.complete_contract(
            c, staff, "Bilan de fin de contrat.", accept_verdicts(c)
        ),
        "terminate": lambda c: services.terminate_contract(
            c, staff, "Dissolution du syndicat", date(2019, 5, 1)
        ),
    }
    for step in path:
        steps[step](contract)

    contract.refresh_from_db()
    assert contract.status == final
    assert contract.status_changed_by == staff
    assert contract.history.first().history_user == staff


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "activate"),
        ([], "complete"),
        ([], "terminate"),
        (["sign"], "sign"),
        (["sign"], "complete"),
        (["sign", "activate", "complete"], "activate"),
        (["sign", "activate", "complete"], "terminate"),
    ],
)
def test_refused_contract_transitions_change_nothing(staff, path, refused):
    contract = ContractFactory()
    steps = {
        "sign": lambda c: services.sign_contract(signable(c), staff, signed_on=date(2017, 10, 24)),
        "activate": lambda c: services.activate_contract(c, staff, activated_on=c.signed_on),
        "complete": lambda c: services.complete_contract(
            c, staff, "Bilan de fin de contrat.", accept_verdicts(c)
        ),
        "terminate": lambda c: services.terminate_contract(c, staff, "motif", date(2019, 5, 1)),
    }
    for step in path:
        steps[step](contract)
    before = contract.status
    history = contract.history.count()

    with pytest.raises(ValidationError, match="Passage impossible"):
        steps[refused](contract)

    contract.refresh_from_db()
    assert contract.status == before
    assert contract.history.count() == history


def test_terminating_requires_a_reason(staff):
    contract = ContractFactory()
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    with pytest.raises(ValidationError, match="motif de la résiliation"):
        services.terminate_contract(contract, staff, "  ", date(2019, 5, 1))
    contract.refresh_from_db()
    assert contract.status == S.SIGNED


def test_signing_a_contract_with_bad_dates_is_refused(staff):
    contract = ContractFactory()
    type(contract).objects.filter(pk=contract.pk).update(end_date=date(2022, 1, 1))
    with pytest.raises(ValidationError, match="dure trois ans"):
        services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    contract.refresh_from_db()
    assert contract.status == S.DRAFT


# --- Relative targets -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "baseline", "expected"),
    [
        ("−60 %", "213000", "85200"),
        ("-60%", "213000", "85200"),
        ("÷4", "58540", "14635"),
        ("/4", "58540", "14635"),
        ("+50 %", "60", "90"),
        ("-7,5 %", "1000", "925"),
    ],
)
def test_relative_targets_are_stored_as_absolute_values(text, baseline, expected):
    kind, amount = services.parse_relative_change(text)
    assert services.target_from_relative(Decimal(baseline), kind, amount) == Decimal(expected)


@pytest.mark.parametrize("text", ["moins 60", "÷0", "÷-2", "-120 %", "%", ""])
def test_unreadable_relative_changes_are_refused(text):
    with pytest.raises(ValidationError, match="Évolution relative illisible"):
        services.parse_relative_change(text)


def test_a_relative_target_on_a_zero_baseline_is_refused():
    with pytest.raises(ValidationError, match="valeur de référence nulle"):
        services.target_from_relative(Decimal(0), "percent", Decimal(-50))


# --- Reports ------------------------------------------------------------------------


def test_the_report_workflow_publishes_validated_values(active_contract, officer, staff):
    report = submitted_report(active_contract, officer, {"cae_2.a": "950", "cae_3.a": "12000"})
    assert report.status == ReportStatus.SUBMITTED
    assert set(report.values.values_list("status", flat=True)) == {ValueStatus.SUBMITTED}

    validated = services.validate_report(report, staff)

    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED
    assert (report.reviewed_by, report.submitted_by) == (staff, officer)
    assert {(v.indicator.identifier, v.value, v.year) for v in validated} == {
        ("cae_2.a", Decimal("950"), 2018),
        ("cae_3.a", Decimal("12000"), 2018),
    }
    assert all(
        v.validated_by == staff and v.territory == active_contract.territory for v in validated
    )
    assert IndicatorValue.objects.validated().count() == 2


@pytest.mark.parametrize("is_demo", [False, True])
def test_values_reported_for_a_contract_are_demonstration_data_only_if_it_is(
    active_contract, officer, staff, is_demo
):
    type(active_contract).objects.filter(pk=active_contract.pk).update(is_demo=is_demo)
    active_contract.refresh_from_db()

    validated = services.validate_report(
        submitted_report(active_contract, officer, {"cae_2.a": "950"}), staff
    )

    assert [v.is_demo for v in validated] == [is_demo]


def test_validation_records_the_recompute_and_moves_the_data_version_on_commit(
    active_contract, officer, staff, django_capture_on_commit_callbacks
):
    report = submitted_report(active_contract, officer, {"cae_2.a": "950"})

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.validate_report(report, staff)

    pending = PendingRecompute.objects.get()
    assert (pending.territory_id, pending.indicator.identifier, pending.year) == (
        active_contract.territory_id,
        "cae_2.a",
        2018,
    )
    names = [callback.__name__ for callback in callbacks]
    assert names.count("enqueue_pending_recompute") == 1
    assert bump_data_version in callbacks  # the saved value's signal (tri_portal.receivers)


def test_rejection_requires_a_reason_and_lets_the_officer_correct_and_resubmit(
    active_contract, officer, staff
):
    report = submitted_report(active_contract, officer, {"cae_2.a": "95000"})
    with pytest.raises(ValidationError, match="motif du rejet"):
        services.reject_report(report, staff, "")

    services.reject_report(report, staff, "Valeur en MWh au lieu de GWh ?")
    report.refresh_from_db()
    assert (report.status, report.rejection_reason) == (
        ReportStatus.REJECTED,
        "Valeur en MWh au lieu de GWh ?",
    )

    services.save_report_values(report, [entry("cae_2.a", "950")], officer)
    services.submit_report(report, officer)
    services.validate_report(report, staff)
    assert IndicatorValue.objects.validated().get().value == Decimal("950")


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        ("draft", "validate"),
        ("draft", "reject"),
        ("submitted", "submit"),
        ("validated", "validate"),
        ("validated", "reject"),
        ("validated", "submit"),
        ("rejected", "validate"),
    ],
)
def test_refused_report_transitions(active_contract, officer, staff, stage, action):
    report = services.open_report(active_contract, 2018, officer)
    services.save_report_values(report, [entry("cae_2.a", "950")], officer)
    if stage != "draft":
        services.submit_report(report, officer)
    if stage == "validated":
        services.validate_report(report, staff)
    if stage == "rejected":
        services.reject_report(report, staff, "motif")
    actions = {
        "submit": lambda: services.submit_report(report, officer),
        "validate": lambda: services.validate_report(report, staff),
        "reject": lambda: services.reject_report(report, staff, "motif"),
    }

    with pytest.raises(ValidationError, match="Passage impossible"):
        actions[action]()

    report.refresh_from_db()
    assert report.status == stage


def test_an_empty_report_cannot_be_submitted(active_contract, officer):
    report = services.open_report(active_contract, 2018, officer)
    with pytest.raises(ValidationError, match="aucune valeur"):
        services.submit_report(report, officer)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_a_submitted_report_is_locked(active_contract, officer):
    report = submitted_report(active_contract, officer, {"cae_2.a": "950"})
    with pytest.raises(ValidationError, match="plus modifiable"):
        services.save_report_values(report, [entry("cae_2.a", "940")], officer)
    assert report.values.get().value == Decimal("950")


def test_one_bad_value_and_nothing_is_saved(active_contract, officer):
    report = services.open_report(active_contract, 2018, officer)

    with pytest.raises(ValidationError) as excinfo:
        services.save_report_values(
            report,
            [
                entry("cae_2.a", "950"),
                entry("cae_1.a", "-3"),
                entry("cae_3.b", "12"),
                entry("cae_3.a", "NaN"),
            ],
            officer,
        )

    errors = excinfo.value.message_dict
    assert set(errors) == {"cae_1.a", "cae_3.b", "cae_3.a"}
    assert "hors des bornes plausibles" in errors["cae_1.a"][0]
    assert "calculé" in errors["cae_3.b"][0]
    assert "nombre fini" in errors["cae_3.a"][0]
    assert not report.values.exists()


def test_an_empty_value_removes_the_draft_value(active_contract, officer):
    report = services.open_report(active_contract, 2018, officer)
    services.save_report_values(report, [entry("cae_2.a", "950")], officer)
    services.save_report_values(report, [entry("cae_2.a", "")], officer)
    assert not report.values.exists()


@pytest.mark.parametrize("year", [2014, 2021])
def test_a_report_outside_the_contract_years_is_refused(active_contract, officer, year):
    # baseline 2015 → contract ends in 2020
    with pytest.raises(ValidationError, match="hors du contrat"):
        services.open_report(active_contract, year, officer)


def test_a_report_for_a_future_year_is_refused(staff, officer):
    this_year = timezone.localdate().year
    contract = ContractFactory(
        start_date=date(this_year, 1, 1), end_date=date(this_year + 2, 12, 31)
    )
    contract.duration_override_reason = "test"
    contract.save()
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    with pytest.raises(ValidationError, match="dans le futur"):
        services.open_report(contract, this_year + 1, officer)


def test_no_report_on_a_draft_contract(officer):
    with pytest.raises(ValidationError, match="en préparation"):
        services.open_report(ContractFactory(), 2018, officer)


def test_a_newer_validated_value_supersedes_the_old_one_which_stays_in_the_records(
    active_contract, officer, staff
):
    services.validate_report(submitted_report(active_contract, officer, {"cae_2.a": "950"}), staff)
    other = ContractFactory(territory=active_contract.territory)
    TargetFactory(contract=other)
    services.sign_contract(signable(other), staff, signed_on=date(2017, 10, 24))

    services.validate_report(submitted_report(other, officer, {"cae_2.a": "960"}), staff)

    statuses = sorted(IndicatorValue.objects.filter(year=2018).values_list("value", "status"))
    assert statuses == [
        (Decimal("950"), ValueStatus.SUPERSEDED),
        (Decimal("960"), ValueStatus.VALIDATED),
    ]


def test_report_changes_are_in_the_history_with_the_acting_user(active_contract, officer, staff):
    report = submitted_report(active_contract, officer, {"cae_2.a": "950"})
    services.validate_report(report, staff)

    trail = [(h.status, h.history_user) for h in report.history.order_by("history_date")]
    assert trail[-2:] == [(ReportStatus.SUBMITTED, officer), (ReportStatus.VALIDATED, staff)]
    value = report.values.get()
    assert [h.history_user for h in value.history.order_by("history_date")] == [
        officer,
        officer,
        staff,
    ]
