"""Contract figures per scope: coverage counted on communes, nested contracts once."""

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from contracts import services
from contracts.models import ContractStats, Target
from contracts.stats import refresh_contract_stats
from territories.models import Territory, TerritoryKind
from territories.selectors import communes_of
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory
from tests.indicators.factories import ValidatedValueFactory


def region_stats():
    return ContractStats.objects.get(scope__kind=TerritoryKind.REGION, scope__code="32")


def communes_population(*territories):
    ids = set()
    for territory in territories:
        ids |= set(communes_of(territory).values_list("id", flat=True))
    return Territory.objects.filter(pk__in=ids).aggregate(s=Sum("population"))["s"]


def test_the_region_counts_each_inhabitant_once_although_fourmies_is_inside_the_scot(demo):
    stats = region_stats()
    contract_territories = [
        Territory.objects.get(kind=kind, code=code)
        for kind, code in [
            ("epci", "200033579"),
            ("epci", "200067965"),
            ("syndicat", "999000003"),
            ("commune", "59271"),
            ("epci", "246200364"),
            ("epci", "200044618"),  # Douaisis Agglo and CA du Beauvaisis: active contracts
            ("epci", "200067999"),
        ]
    ]  # Fourmies (59249) is inside the SCoT Sambre-Avesnois

    assert stats.covered_population_all == communes_population(*contract_territories)
    assert stats.population == 5_992_194
    assert 0.14 < stats.covered_share_all < 0.17


def test_completed_contracts_no_longer_cover_the_population(demo):
    active = [
        Territory.objects.get(kind=kind, code=code)
        for kind, code in [
            ("epci", "200033579"),
            ("syndicat", "999000003"),
            ("epci", "246200364"),
            ("epci", "200044618"),
            ("epci", "200067999"),
        ]
    ]  # the 2017 contracts ended in 2020; Compiègne and Grande-Synthe were not renewed

    assert region_stats().covered_population == communes_population(*active)
    assert region_stats().by_status == {"active": 6, "completed": 6}


def test_a_newly_signed_contract_covers_its_population(demo):
    staff = UserFactory(username="agent.test", is_staff=True)
    grande_synthe = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59271")
    before = region_stats().covered_population
    contract = ContractFactory(
        territory=grande_synthe, start_date=date(2025, 1, 1), end_date=date(2027, 12, 31)
    )

    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))

    stats = region_stats()
    assert stats.covered_population == before + grande_synthe.population
    assert stats.by_status == {"active": 6, "completed": 6, "signed": 1}


def test_themes_are_counted_per_contract(demo):
    # Arras, Sambre-Avesnois, Fourmies, Lens-Liévin in 2017, the same and Douaisis since
    assert region_stats().by_theme["batiment"] == 4 + 5
    nord = ContractStats.objects.get(scope__kind=TerritoryKind.DEPARTEMENT, scope__code="59")
    assert nord.by_theme["energies-renouvelables"] == 2 + 2  # Sambre-Avesnois and Fourmies


def test_targeted_changes_leave_out_a_contract_inside_another_one(demo):
    nord = ContractStats.objects.get(scope__kind=TerritoryKind.DEPARTEMENT, scope__code="59")
    energy = nord.changes["cae_2.a"]

    counted = Target.objects.filter(
        indicator__identifier="cae_2.a",
        contract__territory__code__in=["999000003", "59271", "200044618"],
    )

    # The SCoT Sambre-Avesnois' two contracts, Grande-Synthe's and Douaisis Agglo's;
    # Fourmies' two (inside the SCoT) are not added.
    assert energy["targets"] == counted.count() == 4
    assert Decimal(energy["targeted"]) == sum(t.target_value - t.baseline_value for t in counted)
    assert energy["unit"] == "GWh"


def test_departements_without_contracts_have_empty_figures(demo):
    somme = ContractStats.objects.get(scope__kind=TerritoryKind.DEPARTEMENT, scope__code="80")
    assert (somme.by_status, somme.covered_population_all, somme.changes) == ({}, 0, {})


def test_the_regional_goals_are_not_a_contract_covering_the_region(demo):
    assert region_stats().covered_population_all < region_stats().population


def test_a_target_without_data_counts_as_targeted_not_achieved(db, fourmies):
    staff = UserFactory(username="agent.test", is_staff=True)
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract)  # 1000 → 900 GWh
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))

    energy = region_stats().changes["cae_2.a"]

    assert (Decimal(energy["targeted"]), Decimal(energy["achieved"]), energy["with_data"]) == (
        Decimal(-100),
        Decimal(0),
        0,
    )


def test_after_a_validation_only_the_achieved_changes_are_refreshed(demo):
    staff = UserFactory(username="agent.test", is_staff=True)
    grande_synthe = Territory.objects.get(kind=TerritoryKind.COMMUNE, name="Grande-Synthe")
    before = region_stats()
    # Grande-Synthe's 2021 energy: 874.9 (2020) → 850
    ValidatedValueFactory(
        territory=grande_synthe, year=2021, value=Decimal("850"), validated_by=staff
    )

    refresh_contract_stats([grande_synthe.pk], values_only=True)

    after = region_stats()
    achieved = Decimal(after.changes["cae_2.a"]["achieved"])
    assert achieved == Decimal(before.changes["cae_2.a"]["achieved"]) - Decimal("24.9")
    assert (after.population, after.covered_population, after.by_theme) == (
        before.population,
        before.covered_population,
        before.by_theme,
    )
    refresh_contract_stats()  # everything recomputed gives the same figures
    assert region_stats().changes == after.changes


def test_a_value_older_than_the_baseline_is_not_an_achieved_change(db, fourmies):

    staff = UserFactory(username="agent.test", is_staff=True)
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract, baseline_year=2017, target_year=2020)  # 1000 → 900 GWh
    ValidatedValueFactory(territory=fourmies, year=2015, value=Decimal("700"))  # before 2017
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))

    energy = region_stats().changes["cae_2.a"]

    assert (Decimal(energy["achieved"]), energy["with_data"]) == (Decimal(0), 0)


def test_a_validation_reaches_the_figures_through_the_incremental_recompute(db, fourmies):
    from indicators.aggregation import recompute_pending
    from tests.contracts.factories import indicator

    staff = UserFactory(username="agent.test", is_staff=True)
    officer = UserFactory(username="referent.test")
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract)  # 1000 → 900 GWh
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "950")], officer
    )
    services.validate_report(services.submit_report(report, officer), staff)
    assert Decimal(region_stats().changes["cae_2.a"]["achieved"]) == 0  # not yet

    recompute_pending()

    assert Decimal(region_stats().changes["cae_2.a"]["achieved"]) == Decimal(-50)
