from decimal import Decimal

import pytest

from indicators import formulas
from indicators.catalogue import read_catalogue, sync_catalogue
from indicators.models import Aggregation, Direction, Indicator

TRI_GOAL_IDENTIFIERS = [
    "terr_1",
    "cae_1.a",
    "cae_1.c",
    "cae_1.d",
    "cae_1.g",
    "cae_1.h",
    "cae_1.i",
    "cae_1.j",
    "cae_1.k",
    "cae_2.a",
    "cae_2.e",
    "cae_2.f",
    "cae_2.i",
    "cae_2.k",
    "cae_2.m",
    "cae_2.b",
    "cae_1.b",
    "cae_3.a",
    "cae_24.a",
    "cae_25.a",
    "cae_3.b",
    "cae_14.a",
    "cae_20",
]


def test_the_catalogue_has_the_ademe_identifiers_the_tri_goals_need(db):
    identifiers = set(Indicator.objects.values_list("identifier", flat=True))
    assert set(TRI_GOAL_IDENTIFIERS) <= identifiers


def test_the_catalogue_has_the_project_indicators_with_their_units(db):
    units = dict(Indicator.objects.filter(origin="tri").values_list("identifier", "unit"))
    assert units == {
        "tri_logements_renoves": "logements",
        "tri_surface_bat_publics_renovee": "m²",
        "tri_eclairage_public_conso": "MWh",
        "tri_points_recharge_ve": "points de recharge",
        "tri_amenagements_cyclables": "km",
    }


def test_ademe_units_and_names_match_the_referentiel(db):
    ademe = {row["identifier"]: row for row in read_catalogue()}
    assert ademe["cae_2.a"]["unit"] == "GWh"
    assert ademe["cae_1.a"]["unit"] == "kteq CO2"
    assert ademe["cae_3.a"]["unit"] == "MWh"
    assert ademe["cae_3.b"]["formula"] == "val(cae_3.a)/1000/val(cae_2.a)*100"


def test_directions_and_aggregations(db):
    energy, renewables, share = (
        Indicator.objects.get(identifier=i) for i in ("cae_2.a", "cae_3.a", "cae_3.b")
    )
    assert energy.direction == Direction.LOWER
    assert renewables.direction == Direction.HIGHER
    assert share.aggregation == Aggregation.RATIO
    assert share.is_derived
    assert share.components == ["cae_3.a", "cae_2.a"]
    assert not energy.is_derived


def test_syncing_the_catalogue_again_changes_nothing(db):
    before = list(Indicator.objects.order_by("identifier").values())

    created, updated = sync_catalogue(Indicator)

    assert created == 0
    assert updated == len(before)
    assert list(Indicator.objects.order_by("identifier").values()) == before


def test_renewable_share_converts_mwh_to_gwh(db):
    share = Indicator.objects.get(identifier="cae_3.b")

    # 29 TWh of renewables (29 000 000 MWh) for 182 400 GWh of consumption: 15.9 %
    value = formulas.evaluate(
        share.formula, {"cae_3.a": Decimal("29000000"), "cae_2.a": Decimal("182400")}
    )

    assert value.quantize(Decimal("0.1")) == Decimal("15.9")


def test_per_capita_emissions_use_the_population(db):
    per_capita = Indicator.objects.get(identifier="cae_1.b")
    # 48 000 kteq CO2 for 6 000 000 inhabitants: 8 t per inhabitant
    value = formulas.evaluate(
        per_capita.formula, {"cae_1.a": Decimal("48000"), "terr_1": Decimal("6000000")}
    )
    assert value == Decimal(8)


def test_a_missing_required_component_gives_no_value_and_optional_ones_count_as_zero():
    assert formulas.evaluate("val(a)/val(b)", {"a": Decimal(1)}) is None
    assert formulas.evaluate("val(a)+opt_val(b)", {"a": Decimal(1)}) == Decimal(1)
    assert formulas.evaluate("val(a)/val(b)", {"a": Decimal(1), "b": Decimal(0)}) is None


@pytest.mark.parametrize(
    "formula", ["__import__('os')", "val(a).__class__", "val(a) ** 2", "'text'", "val(a) +"]
)
def test_formulas_only_accept_arithmetic(formula):
    with pytest.raises(formulas.FormulaError):
        formulas.validate_formula(formula)
