"""The region's own goals (``RegionalGoal``): their rules, their admin, how the region
publishes its own figures, and the migration that took them out of the contracts."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from indicators.models import (
    Indicator,
    IndicatorValue,
    PendingRecompute,
    RegionalGoal,
    TargetEntry,
    ValueStatus,
)
from indicators.services import PublishedValue, publish_validated_values
from territories.models import Territory, TerritoryKind
from tests.factories import UserFactory
from tests.indicators.factories import RegionalGoalFactory, ValidatedValueFactory

ADD_GOAL = reverse("admin:indicators_regionalgoal_add")


def messages_of(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


# --- rules -------------------------------------------------------------------------


def test_a_region_has_one_goal_per_indicator(hauts_de_france):
    RegionalGoalFactory()
    duplicate = RegionalGoal(
        territory=hauts_de_france,
        indicator=Indicator.objects.get(identifier="cae_2.a"),
        baseline_year=2015,
        baseline_value=200000,
        target_year=2030,
        target_value=150000,
        adopted_by="Autre document",
    )

    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert "Cette région a déjà un objectif pour cet indicateur." in messages_of(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_goal_year_comes_after_the_reference_year(db):
    with pytest.raises(ValidationError) as refused:
        RegionalGoalFactory.build(
            indicator=Indicator.objects.get(identifier="cae_2.a"), target_year=2012
        ).full_clean()
    assert "L'année de l'objectif doit être postérieure à l'année de référence." in messages_of(
        refused.value
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionalGoalFactory(target_year=2010)


def test_a_regional_goal_is_set_for_a_region_not_a_commune(fourmies):
    goal = RegionalGoalFactory.build(
        territory=fourmies, indicator=Indicator.objects.get(identifier="cae_2.a")
    )

    with pytest.raises(ValidationError) as refused:
        goal.full_clean()
    assert refused.value.message_dict["territory"] == [
        "Un objectif régional se fixe pour une région."
    ]


def test_an_implausible_goal_value_is_refused_in_french(db):
    goal = RegionalGoalFactory.build(
        indicator=Indicator.objects.get(identifier="cae_2.a"), target_value=Decimal("-1")
    )

    with pytest.raises(ValidationError) as refused:
        goal.full_clean()
    assert "hors des bornes plausibles" in refused.value.message_dict["target_value"][0]


def test_every_change_of_a_goal_is_kept_in_its_history(db):
    goal = RegionalGoalFactory()
    goal.target_value = Decimal("80000")
    goal.save()

    assert [h.target_value for h in goal.history.order_by("history_date")] == [85200, 80000]


# --- admin -------------------------------------------------------------------------


def goal_form(**fields) -> dict:
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    return {
        "territory": region.pk,
        "indicator": Indicator.objects.get(identifier="cae_1.a").pk,
        "baseline_year": "2012",
        "baseline_value": "58540",
        "target_year": "2050",
        "target_value": "",
        "relative_change_text": "",
        "adopted_by": "SRADDET Hauts-de-France (2020)",
        **fields,
    }


def test_staff_enter_a_goal_as_a_relative_change_stored_as_numbers(staff_client):
    response = staff_client.post(ADD_GOAL, goal_form(relative_change_text="÷4"))

    assert response.status_code == 302
    goal = RegionalGoal.objects.get()
    assert (goal.target_value, goal.entered_as, goal.relative_change) == (
        Decimal("14635"),
        TargetEntry.DIVIDE,
        4,
    )
    edit = staff_client.get(reverse("admin:indicators_regionalgoal_change", args=[goal.pk]))
    assert 'value="÷4"' in edit.content.decode()


def test_an_unreadable_relative_goal_is_refused_in_french_and_nothing_is_saved(staff_client):
    response = staff_client.post(ADD_GOAL, goal_form(relative_change_text="divisé par quatre"))

    assert response.status_code == 200
    assert "Évolution relative illisible" in response.content.decode()
    assert not RegionalGoal.objects.exists()


# --- the region publishes its own figures ------------------------------------------


@pytest.fixture
def region_agent(db):
    return UserFactory(username="agent.observatoire", is_staff=True)


def energy(year, value) -> PublishedValue:
    return PublishedValue(Indicator.objects.get(identifier="cae_2.a"), year, Decimal(value))


def test_the_region_publishes_a_validated_sourced_value_and_the_recompute_is_scheduled(
    hauts_de_france, region_agent
):
    moment = timezone.make_aware(timezone.datetime(2022, 6, 20, 10))

    [value] = publish_validated_values(
        hauts_de_france,
        [energy(2021, "190000")],
        source="Observatoire Climat Hauts-de-France",
        by=region_agent,
        validated_at=moment,
    )

    value.refresh_from_db()
    assert (value.status, value.report, value.validated_by, value.validated_at) == (
        ValueStatus.VALIDATED,
        None,
        region_agent,
        moment,
    )
    assert value.source == "Observatoire Climat Hauts-de-France"
    assert value.history.get().history_date == moment
    assert PendingRecompute.objects.filter(territory=hauts_de_france, year=2021).exists()


def test_a_newer_published_value_supersedes_the_earlier_one(hauts_de_france, region_agent):
    earlier = ValidatedValueFactory(territory=hauts_de_france, year=2021, value=191000)

    publish_validated_values(
        hauts_de_france, [energy(2021, "190000")], source="Observatoire", by=region_agent
    )

    earlier.refresh_from_db()
    assert earlier.status == ValueStatus.SUPERSEDED
    assert IndicatorValue.objects.validated().get(territory=hauts_de_france).value == 190000
    assert PendingRecompute.objects.get(territory=hauts_de_france).replaced is True


def test_of_two_figures_of_one_year_in_one_publication_the_later_is_the_validated_one(
    hauts_de_france, region_agent
):
    publish_validated_values(
        hauts_de_france,
        [energy(2021, "191000"), energy(2021, "190000"), energy(2020, "195000")],
        source="Observatoire",
        by=region_agent,
    )

    rows = IndicatorValue.objects.filter(territory=hauts_de_france).order_by("year", "pk")
    assert [(v.year, v.value, v.status) for v in rows] == [
        (2020, 195000, ValueStatus.VALIDATED),
        (2021, 191000, ValueStatus.SUPERSEDED),
        (2021, 190000, ValueStatus.VALIDATED),
    ]
    assert IndicatorValue.history.filter(territory_id=hauts_de_france.pk).count() == 3


@pytest.mark.parametrize(
    ("values", "source", "staff", "message"),
    [
        ([energy], "", True, "Indiquez la source des valeurs publiées."),
        ([energy], "Observatoire", False, "Seuls les agents de la Région et de l'ADEME"),
        (
            [energy, lambda year, value: PublishedValue(
                Indicator.objects.get(identifier="cae_3.b"), year, Decimal(15)
            )],
            "Observatoire",
            True,
            "est calculé à partir de ses composantes",
        ),
        ([lambda year, value: energy(date.today().year + 1, value)], "Observatoire", True,
         "est dans le futur"),
    ],
    ids=["no source", "not staff", "derived indicator", "future year"],
)  # fmt: skip
def test_bad_published_values_are_refused_in_french_and_nothing_is_saved(
    hauts_de_france, values, source, staff, message
):
    user = UserFactory(username="publie", is_staff=staff)

    with pytest.raises(ValidationError) as refused:
        publish_validated_values(
            hauts_de_france, [make(2021, "190000") for make in values], source=source, by=user
        )

    assert message in " ".join(refused.value.messages)
    assert not IndicatorValue.objects.exists()
    assert not PendingRecompute.objects.exists()


# --- the migration out of the contracts ---------------------------------------------

BEFORE = ("contracts", "0007_contractdocument_public_size")


def leaves(executor, contracts_node=None):
    nodes = executor.loader.graph.leaf_nodes()
    if contracts_node is None:
        return nodes
    return [node for node in nodes if node[0] != "contracts"] + [contracts_node]


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_a_goals_contract_into_regional_goals_and_keeps_the_values():
    executor = MigrationExecutor(connection)
    before = leaves(executor, BEFORE)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Contract, Target, ProgressReport, Value, OldIndicator, OldTerritory = (
        old.get_model(*name.split("."))
        for name in (
            "contracts.Contract",
            "contracts.Target",
            "contracts.ProgressReport",
            "indicators.IndicatorValue",
            "indicators.Indicator",
            "territories.Territory",
        )
    )
    region = OldTerritory.objects.get(kind="region", code="32")
    energy_indicator = OldIndicator.objects.get(identifier="cae_2.a")
    goals = Contract.objects.create(
        kind="regional_goals",
        territory=region,
        reference="TRI-HDF-2050",
        title="Objectifs régionaux 2050",
        status="active",
        signed_on=date(2012, 1, 1),
        start_date=date(2012, 1, 1),
        end_date=date(2050, 12, 31),
        is_demo=True,
    )
    Target.objects.create(
        contract=goals,
        indicator=energy_indicator,
        baseline_year=2012,
        baseline_value=213000,
        target_year=2050,
        target_value=85200,
        entered_as="percent",
        relative_change=-60,
    )
    published, pending = (
        ProgressReport.objects.create(contract=goals, year=year, status=status)
        for year, status in ((2018, "validated"), (2019, "draft"))
    )
    kept = Value.objects.create(
        territory=region,
        indicator=energy_indicator,
        year=2018,
        value=202000,
        status="validated",
        validated_at=timezone.now(),
        report=published,
        is_demo=True,
    )
    Value.objects.create(
        territory=region, indicator=energy_indicator, year=2019, value=1, report=pending
    )

    executor = MigrationExecutor(connection)
    executor.migrate(leaves(executor))

    goal = RegionalGoal.objects.get()
    assert (goal.territory.code, goal.indicator.identifier) == ("32", "cae_2.a")
    assert (goal.baseline_year, goal.baseline_value, goal.target_year, goal.target_value) == (
        2012,
        213000,
        2050,
        85200,
    )
    assert (goal.entered_as, goal.relative_change, goal.is_demo) == ("percent", -60, True)
    assert goal.adopted_by == "Objectifs régionaux 2050"
    assert goal.history.get().history_type == "+"
    from contracts.models import Contract as CurrentContract
    from contracts.models import ProgressReport as CurrentReport

    assert not CurrentContract.objects.filter(reference="TRI-HDF-2050").exists()
    assert not CurrentReport.objects.exists()
    value = IndicatorValue.objects.get()  # the draft of the fake report is gone
    assert (value.pk, value.status, value.value, value.report) == (
        kept.pk,
        ValueStatus.VALIDATED,
        202000,
        None,
    )
    assert value.history.latest().history_change_reason == (
        "Objectifs régionaux, plus un contrat (TRI-HDF-2050)"
    )
