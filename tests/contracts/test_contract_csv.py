"""The contract CSV follows the open data's "CSV pour tableur": semicolons, decimal
comma, UTF-8 with BOM, values rounded to their indicator's precision (counts without
decimals), and says where each value comes from."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from contracts.models import ContractStatus
from indicators.models import Indicator, IndicatorValue, ValueStatus
from indicators.units import UNIT_BOUNDS, UNIT_DECIMALS
from tests.contracts.factories import ContractFactory, TargetFactory, indicator

HEADER = (
    "type;indicateur;nom;unite;annee;valeur;source;validated_on;validated_by;"
    "alignement;rythme_engage;rythme_requis;is_demo"
)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def validated(territory, identifier, year, number, source="Observatoire climat"):
    return IndicatorValue(
        territory=territory,
        indicator=indicator(identifier),
        year=year,
        value=Decimal(number),
        source=source,
        status=ValueStatus.VALIDATED,
        validated_at=datetime(2024, 7, 1, tzinfo=UTC),
    )


@pytest.fixture
def contract(fourmies):
    """An active Fourmies contract on the renewable share, dwellings and charge points,
    with validated values carrying every decimal the database keeps."""
    contract = ContractFactory(
        reference="COTRI-CSV", status=ContractStatus.ACTIVE, signed_on=date(2017, 10, 24)
    )
    for identifier, baseline, target in [
        ("cae_3.b", "4.123456", "8.5"),
        ("tri_logements_renoves", "0", "350"),
        ("tri_points_recharge_ve", "2", "40"),
    ]:
        TargetFactory(
            contract=contract,
            indicator=indicator(identifier),
            baseline_value=Decimal(baseline),
            target_value=Decimal(target),
        )
    IndicatorValue.objects.bulk_create(
        [
            validated(fourmies, "cae_3.a", 2018, "12345.678901"),
            validated(fourmies, "cae_2.a", 2018, "246.930001"),
            validated(fourmies, "tri_logements_renoves", 2018, "120.000000", ""),
            validated(fourmies, "tri_points_recharge_ve", 2018, "12", "Enedis"),
        ]
    )
    return contract


def download(client, contract):
    response = client.get(reverse("contract_csv", args=[contract.pk]))
    assert response.status_code == 200
    return response


def rows_of(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def row(rows, kind, identifier):
    return next(r for r in rows if (r["type"], r["indicateur"]) == (kind, identifier))


def test_contract_csv_is_the_spreadsheet_dialect_of_the_open_data(client, contract):
    response = download(client, contract)

    assert response.content.startswith(("\ufeff" + HEADER + "\r\n").encode())
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Link"].endswith('; rel="license"')


def test_values_are_rounded_to_the_indicator_precision_with_a_decimal_comma(client, contract):
    rows = rows_of(download(client, contract))

    share = row(rows, "valeur_validee", "cae_3.b")
    # 12 345,678901 MWh / 246,930001 GWh = 4,99966… % (not 4.999667034…)
    assert (share["annee"], share["valeur"]) == ("2018", "5")
    assert row(rows, "reference", "cae_3.b")["valeur"] == "4,1"
    assert row(rows, "objectif", "cae_3.b")["valeur"] == "8,5"


def test_counts_are_whole_numbers(client, contract):
    rows = rows_of(download(client, contract))

    assert row(rows, "valeur_validee", "tri_logements_renoves")["valeur"] == "120"
    assert row(rows, "objectif", "tri_logements_renoves")["valeur"] == "350"
    assert row(rows, "valeur_validee", "tri_points_recharge_ve")["valeur"] == "12"


def test_every_row_says_where_it_comes_from(client, contract):
    rows = rows_of(download(client, contract))

    assert row(rows, "reference", "cae_3.b")["source"] == "Contrat COTRI-CSV"
    assert row(rows, "objectif", "tri_points_recharge_ve")["source"] == "Contrat COTRI-CSV"
    assert row(rows, "valeur_validee", "tri_points_recharge_ve")["source"] == "Enedis"
    assert row(rows, "valeur_validee", "tri_logements_renoves")["source"] == "Non précisée"
    assert row(rows, "valeur_validee", "cae_3.b")["source"] == (
        "Calcul : val(cae_3.a)/1000/val(cae_2.a)*100"
    )


def test_every_unit_has_a_precision_and_counts_have_none():
    assert set(UNIT_DECIMALS) == set(UNIT_BOUNDS)
    for unit in ("habitants", "logements", "points de recharge"):
        assert UNIT_DECIMALS[unit] == 0
    assert Indicator(unit="%").decimals == 1
