"""Amendments (avenants): the only way a signed contract's targets change; the progress
of a year uses the targets in force that year."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from contracts import services
from contracts.life import original_targets, targets_in_force
from contracts.models import Amendment, AmendmentChangeKind, Target
from contracts.selectors import target_standings, target_standings_in
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable
from tests.factories import UserFactory
from tests.indicators.factories import ValidatedValueFactory

K = AmendmentChangeKind


@pytest.fixture
def staff(db):
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def contract(staff):
    """Fourmies 2017–2020: final energy from 1 000 (2015) to 900 (2020); 950 validated
    in 2018, 930 in 2019."""
    contract = ContractFactory()
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=date(2017, 10, 24))
    ValidatedValueFactory(year=2018, value=Decimal("950"))
    ValidatedValueFactory(year=2019, value=Decimal("930"))
    return contract


def lower_target(contract, staff, effective_year=2019, number=1, value="800"):
    target = contract.targets.get()
    return services.record_amendment(
        contract,
        staff,
        number=number,
        signed_on=date(2019, 3, 1),
        effective_year=effective_year,
        reason="Objectif relevé après le plan de rénovation",
        changes=[services.Change(K.CHANGE_TARGET, target=target, target_value=Decimal(value))],
    )


def test_amendment_effective_2019_leaves_the_2018_evaluation_unchanged(contract, staff):
    before = target_standings_in(contract, 2018)[0].standing

    lower_target(contract, staff)

    after = target_standings_in(contract, 2018)[0]
    assert after.target.target_value == Decimal("900")
    assert after.standing == before
    assert after.standing.achievement == Decimal("0.5")  # (950 − 1000) / (900 − 1000)


def test_years_from_the_effective_year_use_the_amended_target(contract, staff):
    lower_target(contract, staff)

    in_2019 = target_standings_in(contract, 2019)[0]
    assert in_2019.target.target_value == Decimal("800")
    assert in_2019.standing.achievement == Decimal("0.35")  # (930 − 1000) / (800 − 1000)
    assert targets_in_force(contract, 2020)[0].target_value == Decimal("800")
    # The current figures: the targets in force in the latest year evaluated (2019).
    assert target_standings(contract)[0].target.target_value == Decimal("800")


def test_original_target_stays_known_after_an_amendment(contract, staff):
    lower_target(contract, staff)

    assert [t.target_value for t in original_targets(contract)] == [Decimal("900")]
    assert contract.targets.get().target_value == Decimal("800")


def test_amendment_effective_after_the_latest_value_does_not_count_yet(contract, staff):
    lower_target(contract, staff, effective_year=2020)

    assert target_standings(contract)[0].target.target_value == Decimal("900")


def test_amendment_records_who_recorded_it_in_the_history(contract, staff):
    amendment = lower_target(contract, staff)

    assert amendment.recorded_by == staff
    assert amendment.history.get().history_user == staff
    assert contract.targets.get().history.first().history_user == staff


def test_added_and_removed_targets_are_in_force_from_the_effective_year(contract, staff):
    removed = contract.targets.get()
    services.record_amendment(
        contract,
        staff,
        number=1,
        signed_on=date(2019, 3, 1),
        effective_year=2019,
        reason="Recentrage sur les énergies renouvelables",
        changes=[
            services.Change(K.REMOVE_TARGET, target=removed),
            services.Change(
                K.ADD_TARGET,
                indicator=indicator("cae_3.a"),
                baseline_year=2015,
                baseline_value=Decimal("10000"),
                target_year=2020,
                target_value=Decimal("15000"),
            ),
        ],
    )

    assert [t.indicator.identifier for t in targets_in_force(contract, 2018)] == ["cae_2.a"]
    assert targets_in_force(contract, 2018)[0].target_value == Decimal("900")
    assert [t.indicator.identifier for t in targets_in_force(contract, 2019)] == ["cae_3.a"]
    assert not Target.objects.filter(pk=removed.pk).exists()


def test_amendment_can_extend_the_end_date(contract, staff):
    services.record_amendment(
        contract,
        staff,
        number=1,
        signed_on=date(2019, 3, 1),
        effective_year=2019,
        reason="Prolongation d'un an",
        changes=[services.Change(K.CHANGE_END_DATE, end_date=date(2021, 10, 23))],
    )

    contract.refresh_from_db()
    assert contract.end_date == date(2021, 10, 23)
    assert contract.amendments.get().changes.get().old_end_date == date(2020, 10, 23)


def test_signed_contract_target_cannot_be_edited_in_place(contract):
    target = contract.targets.get()
    target.target_value = Decimal("700")

    with pytest.raises(ValidationError) as error:
        target.save()
    with pytest.raises(ValidationError):
        target.full_clean()

    assert "avenant" in str(error.value)
    assert Target.objects.get(pk=target.pk).target_value == Decimal("900")


def test_draft_contract_target_can_still_be_edited(db):
    target = TargetFactory()
    target.target_value = Decimal("700")
    target.full_clean()
    target.save()

    assert Target.objects.get(pk=target.pk).target_value == Decimal("700")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": " "}, "Indiquez le motif de l'avenant."),
        ({"number": 0}, "Le numéro d'un avenant est un entier positif."),
        ({"signed_on": date(2099, 1, 1)}, "ne peut pas être future"),
        ({"effective_year": 2030}, "entre 2017 et 2020"),
        ({"changes": []}, "au moins un objectif"),
    ],
)
def test_bad_amendment_is_refused_with_a_french_message(contract, staff, kwargs, message):
    target = contract.targets.get()
    arguments = {
        "number": 1,
        "signed_on": date(2019, 3, 1),
        "effective_year": 2019,
        "reason": "Motif",
        "changes": [services.Change(K.CHANGE_TARGET, target=target, target_value=Decimal(800))],
    } | kwargs

    with pytest.raises(ValidationError) as error:
        services.record_amendment(contract, staff, **arguments)

    assert message in " ".join(error.value.messages)
    assert not Amendment.objects.exists()
    assert contract.targets.get().target_value == Decimal("900")


def test_amendment_numbers_are_unique_per_contract(contract, staff):
    lower_target(contract, staff)

    with pytest.raises(ValidationError, match="déjà un avenant n° 1"):
        lower_target(contract, staff, value="700")


def test_amendment_cannot_take_effect_before_the_previous_one(contract, staff):
    lower_target(contract, staff, effective_year=2020)

    with pytest.raises(ValidationError, match="au plus tôt"):
        lower_target(contract, staff, effective_year=2019, number=2, value="700")


def test_draft_contract_cannot_be_amended(staff):
    target = TargetFactory()

    with pytest.raises(ValidationError, match="signé ou en cours"):
        services.record_amendment(
            target.contract,
            staff,
            number=1,
            signed_on=date(2019, 3, 1),
            effective_year=2019,
            reason="Motif",
            changes=[services.Change(K.CHANGE_TARGET, target=target, target_value=Decimal(8))],
        )


def test_target_of_another_contract_cannot_be_amended(contract, staff):
    other = TargetFactory()

    with pytest.raises(ValidationError, match="objectif de ce contrat"):
        services.record_amendment(
            contract,
            staff,
            number=1,
            signed_on=date(2019, 3, 1),
            effective_year=2019,
            reason="Motif",
            changes=[services.Change(K.CHANGE_TARGET, target=other, target_value=Decimal(8))],
        )


@pytest.mark.parametrize(
    ("effective_year", "in_force", "achievement"), [(2019, "800", "0.35"), (2020, "900", "0.7")]
)
def test_api_gives_the_targets_in_force_in_the_latest_year_evaluated(
    contract, staff, client, effective_year, in_force, achievement
):
    lower_target(contract, staff, effective_year=effective_year)

    data = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    listed = client.get("/api/v1/contracts/").json()["results"]

    [target] = data["targets"]
    assert Decimal(target["target_value"]) == Decimal(in_force)
    assert Decimal(target["progress"]["achievement"]) == Decimal(achievement)
    assert Decimal(listed[0]["targets"][0]["target_value"]) == Decimal(in_force)
    assert [row.target.target_value for row in target_standings(contract)] == [Decimal(in_force)]
