"""Counts (dwellings renovated, charge points…) are shown as whole numbers wherever a
value of a contract appears: its public page, the officer's report form, the staff
review page; other units keep their precision."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts import services
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable
from tests.indicators.factories import ValidatedValueFactory
from tests.pages import visible_text

DWELLINGS = "tri_logements_renoves"


@pytest.fixture
def dwellings_contract(staff, fourmies):
    """An active contract of Fourmies: 0 dwellings renovated in 2017 → 900 in 2020, and
    final energy 1 000 → 900 GWh; 512 dwellings validated for 2019."""
    contract = ContractFactory(territory=fourmies)
    TargetFactory(
        contract=contract,
        indicator=indicator(DWELLINGS),
        baseline_year=2017,
        baseline_value=Decimal("0"),
        target_year=2020,
        target_value=Decimal("900"),
    )
    TargetFactory(contract=contract, baseline_year=2017, target_year=2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    ValidatedValueFactory(territory=fourmies, indicator=DWELLINGS, year=2019, value=Decimal("512"))
    return contract


@pytest.fixture
def submitted_report(dwellings_contract, officer):
    report = services.open_report(dwellings_contract, 2020, by=officer)
    services.save_report_values(
        report,
        [services.ReportedValue(indicator(DWELLINGS), Decimal("734"), "Registre communal", "")],
        by=officer,
    )
    return services.submit_report(report, by=officer)


def test_the_contract_page_shows_counts_without_decimals(client, dwellings_contract):
    page = visible_text(
        client.get(reverse("contract", args=[dwellings_contract.pk])).content.decode()
    )

    assert "900 (2020)" in page  # the dwellings target
    assert "512 (2019)" in page  # the latest validated count
    assert "900,0 (2020)" in page  # the energy target keeps its decimal (GWh)
    assert "512,0" not in page


def test_the_report_form_shows_counts_without_decimals_and_asks_for_a_whole_number(
    client, officer, dwellings_contract
):
    client.force_login(officer)
    response = client.get(reverse("officer:report", args=[dwellings_contract.pk, 2020]))
    html = response.content.decode()
    page = visible_text(html)

    assert "512 (2019)" in page
    assert "512,0" not in page
    field = f'name="valeur-{indicator(DWELLINGS).pk}"'
    dwellings_input = html[html.rindex("<input", 0, html.index(field)) : html.index(field)]
    assert 'inputmode="numeric"' in dwellings_input
    energy_field = f'name="valeur-{indicator("cae_2.a").pk}"'
    energy_input = html[
        html.rindex("<input", 0, html.index(energy_field)) : html.index(energy_field)
    ]
    assert 'inputmode="decimal"' in energy_input


def test_the_staff_review_page_shows_counts_without_decimals(staff_client, submitted_report):
    page = visible_text(
        staff_client.get(reverse("staff_report", args=[submitted_report.pk])).content.decode()
    )

    assert "734" in page
    assert "734,0" not in page
    assert "512" in page  # the previous year's validated count
    assert "512,0" not in page
