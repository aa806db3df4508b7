from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from indicators.models import Indicator, IndicatorValue, ValueStatus
from indicators.selectors import validated_series


def energy():
    return Indicator.objects.get(identifier="cae_2.a")


def validated(territory, identifier, year, value):
    return IndicatorValue.objects.create(
        territory=territory,
        indicator=Indicator.objects.get(identifier=identifier),
        year=year,
        value=Decimal(value),
        status=ValueStatus.VALIDATED,
        validated_at=timezone.now(),
    )


def test_the_database_allows_one_validated_value_per_territory_indicator_year(fourmies):
    validated(fourmies, "cae_2.a", 2018, "250")

    with pytest.raises(IntegrityError), transaction.atomic():
        validated(fourmies, "cae_2.a", 2018, "251")


def test_drafts_and_superseded_values_may_coexist_with_the_validated_one(fourmies):
    validated(fourmies, "cae_2.a", 2018, "250")
    for status in (ValueStatus.DRAFT, ValueStatus.SUPERSEDED, ValueStatus.SUPERSEDED):
        IndicatorValue.objects.create(
            territory=fourmies, indicator=energy(), year=2018, value=1, status=status
        )
    assert IndicatorValue.objects.filter(territory=fourmies, year=2018).count() == 4


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "hors des bornes plausibles"),
        ("NaN", "nombre fini"),
        ("Infinity", "nombre fini"),
        ("1e30", "hors des bornes plausibles"),
        ("douze", "n'est pas un nombre"),
    ],
)
def test_bad_numbers_are_refused_with_a_french_message(value, message):
    indicator = Indicator(identifier="x", unit="GWh")
    with pytest.raises(ValidationError, match=message):
        indicator.check_value(value)


@pytest.mark.parametrize(
    ("text", "expected"), [("1 234,5", "1234.5"), ("1234.5", "1234.5"), ("1\u202f234", "1234")]
)
def test_french_and_english_number_formats_are_read(text, expected):
    assert Indicator(identifier="x", unit="GWh").check_value(text) == Decimal(expected)


def test_a_derived_indicator_cannot_be_typed_in(fourmies):
    value = IndicatorValue(
        territory=fourmies,
        indicator=Indicator.objects.get(identifier="cae_3.b"),
        year=2018,
        value=12,
    )
    with pytest.raises(ValidationError, match="calculé à partir de ses composantes"):
        value.full_clean()


def test_a_value_in_the_future_is_refused(fourmies):
    value = IndicatorValue(
        territory=fourmies, indicator=energy(), year=timezone.localdate().year + 1, value=12
    )
    with pytest.raises(ValidationError, match="dans le futur"):
        value.full_clean()


def test_the_renewable_share_series_is_computed_from_validated_components(fourmies):
    validated(fourmies, "cae_3.a", 2018, "25000")  # MWh
    validated(fourmies, "cae_2.a", 2018, "250")  # GWh
    validated(fourmies, "cae_3.a", 2019, "30000")  # no consumption in 2019: no share
    share = Indicator.objects.get(identifier="cae_3.b")

    series = validated_series(fourmies, [share])

    assert series == {"cae_3.b": [(2018, Decimal(10))]}


def test_per_capita_series_falls_back_on_the_legal_population(fourmies):
    validated(fourmies, "cae_1.a", 2018, "57.245")  # kteq CO2, Fourmies: 11 449 inhabitants
    per_capita = Indicator.objects.get(identifier="cae_1.b")

    [(year, value)] = validated_series(fourmies, [per_capita])["cae_1.b"]

    assert (year, value) == (2018, Decimal(5))


def test_unvalidated_values_are_not_in_the_series(fourmies):
    IndicatorValue.objects.create(
        territory=fourmies, indicator=energy(), year=2018, value=1, status=ValueStatus.SUBMITTED
    )
    assert validated_series(fourmies, [energy()]) == {"cae_2.a": []}


def test_values_keep_their_history(fourmies):
    value = validated(fourmies, "cae_2.a", 2018, "250")
    value.value = Decimal("260")
    value.save()

    assert [h.value for h in value.history.all()] == [Decimal("260"), Decimal("250")]
