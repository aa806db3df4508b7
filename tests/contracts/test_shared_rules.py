"""Rules defined once and named (status sets, year bounds, value precision,
population identifier): every place that applies them agrees."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts import services
from contracts.api_reports import OpenReportSerializer
from contracts.models import PUBLIC_STATUSES, ContractStatus, Target
from contracts.public import read_filters
from indicators.models import (
    VALUE_DECIMALS,
    VALUE_QUANTUM,
    Indicator,
    IndicatorValue,
)
from indicators.selectors import POPULATION
from kit.api.filters import YearFilter
from kit.years import YEAR_MAX, YEAR_MIN


def test_the_public_list_filters_on_exactly_the_public_statuses(client, db):
    page = client.get(reverse("contracts")).content.decode()

    for status in ContractStatus:
        offered = f'value="{status.value}"' in page
        assert offered == (status in PUBLIC_STATUSES)
        assert (read_filters({"statut": status.value}).statut == status.value) == offered


@pytest.mark.parametrize(
    ("year", "accepted"),
    [(YEAR_MIN - 1, False), (YEAR_MIN, True), (YEAR_MAX, True), (YEAR_MAX + 1, False)],
)
def test_every_year_check_has_the_same_bounds(db, year, accepted):
    assert (read_filters({"annee": str(year)}).annee == year) == accepted
    field = YearFilter().field
    assert (field.min_value <= year <= field.max_value) == accepted
    year_field = OpenReportSerializer().fields["year"]
    assert (year_field.min_value <= year <= year_field.max_value) == accepted


def test_the_database_refuses_a_value_outside_the_year_bounds(db, fourmies):
    value = IndicatorValue(
        territory=fourmies,
        indicator=Indicator.objects.get(identifier="cae_2.a"),
        year=YEAR_MIN - 1,
        value=Decimal(1),
    )
    with pytest.raises(ValidationError, match=f"entre {YEAR_MIN} et {YEAR_MAX}"):
        value.validate_constraints()


def test_targets_values_and_relative_targets_share_one_precision():
    for field in (
        Target._meta.get_field("baseline_value"),
        Target._meta.get_field("target_value"),
        IndicatorValue._meta.get_field("value"),
    ):
        assert field.decimal_places == VALUE_DECIMALS
    assert Decimal("0.000001") == VALUE_QUANTUM
    third = services.target_from_relative(Decimal(1000), "divide", Decimal(3))
    assert third == Decimal("333.333333")


def test_the_population_identifier_is_the_catalogue_s_population(db):
    assert Indicator.objects.get(identifier=POPULATION).unit == "habitants"
