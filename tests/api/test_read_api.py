"""Read side of the API, as a reuser sees it: every list filters by what its
parameters say (official codes, SIREN, départements, years, indicator lists), only
validated figures are published, draft contracts stay with the people working on
them, numbers and dates have a stable text form, and a bad parameter is a 400 that
says why in French."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from contracts import services
from contracts.models import ContractTheme, Signatory
from indicators.models import Aggregate, Indicator, IndicatorValue, ValueStatus
from indicators.organisations import REGION, join_organisation
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable

API = "/api/v1"
FOURMIES_SIREN = "215902495"
SUD_AVESNOIS_SIREN = "200043404"  # CC du Sud Avesnois, the EPCI of Fourmies
SAINT_QUENTINOIS_SIREN = "200071892"  # CA du Saint-Quentinois (Aisne)
INVALID_REQUEST = "Requête invalide : voir les messages par champ."


# --- Helpers ----------------------------------------------------------------------


def get_json(client, path, expected_status=200, **params):
    response = client.get(f"{API}/{path}", params)
    assert response.status_code == expected_status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def results(client, path, **params):
    return get_json(client, path, **params)["results"]


def territory(kind, code):
    return Territory.objects.get(kind=kind, code=code)


def by_siren(siren):
    return Territory.objects.get(siren=siren)


def publish(territory, identifier, year, value):
    """A validated value written directly (filters do not care how it was validated)."""
    return IndicatorValue.objects.create(
        territory=territory,
        indicator=indicator(identifier),
        year=year,
        value=Decimal(value),
        source="Observatoire régional",
        status=ValueStatus.VALIDATED,
        validated_at=timezone.now(),
    )


def report_with(contract, year, by, values: dict):
    """A draft report of ``contract`` for ``year`` holding ``{identifier: value}``
    (source: ORECA, the regional energy and climate observatory)."""
    report = services.open_report(contract, year, by)
    services.save_report_values(
        report,
        [
            services.ReportedValue(indicator(i), value, source="ORECA")
            for i, value in values.items()
        ],
        by,
    )
    return report


def validate(contract, year, by, values: dict):
    """Entered and submitted by another agent (four eyes), validated by ``by``."""
    reporter, _created = get_user_model().objects.get_or_create(
        username="agent.saisie", defaults={"is_staff": True}
    )
    report = report_with(contract, year, reporter, values)
    services.submit_report(report, reporter)
    services.validate_report(report, by)
    return report


def signed_contract(territory, staff, reference, signed_on, *, themes=()):
    contract = ContractFactory(territory=territory, reference=reference)
    contract.themes.set(ContractTheme.objects.filter(slug__in=themes))
    services.sign_contract(signable(contract), staff, signed_on=signed_on)
    # What signing needed gives way to the signatories and targets each test sets.
    contract.signatories.all().delete()
    contract.targets.all().delete()
    return contract


def aggregate(scope, identifier, year, value, **fields):
    return Aggregate.objects.create(
        scope=scope,
        indicator=indicator(identifier),
        year=year,
        value=None if value is None else Decimal(value),
        computed_at=timezone.now(),
        **fields,
    )


def codes(rows, key="code"):
    return [row[key] for row in rows]


# --- Territories ------------------------------------------------------------------


@pytest.mark.django_db
def test_territories_list_is_a_page_with_counts_and_links(anonymous_api):
    page = get_json(anonymous_api, "territories/", kind="departement", page_size=2)

    assert page["count"] == 5
    assert codes(page["results"]) == ["02", "59"]
    assert page["previous"] is None
    assert page["next"].endswith("/api/v1/territories/?kind=departement&page=2&page_size=2")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "region"}, [("region", "32")]),
        ({"code": "59249"}, [("commune", "59249")]),
        ({"siren": FOURMIES_SIREN}, [("commune", "59249")]),
        ({"siren": SUD_AVESNOIS_SIREN}, [("epci", SUD_AVESNOIS_SIREN)]),
        ({"code": "59", "kind": "departement"}, [("departement", "59")]),
        ({"search": "fourmies"}, [("commune", "59249")]),
        ({"search": "59249"}, [("commune", "59249")]),
        ({"search": FOURMIES_SIREN}, [("commune", "59249")]),
        ({"search": "Sud Avesnois"}, [("epci", SUD_AVESNOIS_SIREN)]),
    ],
    ids=lambda value: (
        "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else ""
    ),
)
def test_territories_filter_by_kind_code_siren_and_search(anonymous_api, params, expected):
    rows = results(anonymous_api, "territories/", **params)

    assert [(row["kind"], row["code"]) for row in rows] == expected


@pytest.mark.django_db
def test_territories_of_a_departement_are_those_inside_it(anonymous_api):
    page = get_json(anonymous_api, "territories/", departement="02", kind="commune", page_size=1000)

    assert page["count"] == 797  # communes of the Aisne (COG 2026)
    assert all(row["departements"] == ["02"] for row in page["results"])
    assert "59249" not in codes(page["results"])


@pytest.mark.django_db
def test_an_epci_straddling_two_departements_is_listed_in_both(anonymous_api):
    flandre_lys = Territory.objects.get(kind=TerritoryKind.EPCI, name="CC Flandre Lys")

    listed = {
        code: {
            row["id"]: row
            for row in results(anonymous_api, "territories/", departement=code, kind="epci")
        }
        for code in ("59", "62", "80")
    }

    assert listed["59"][flandre_lys.pk]["departements"] == ["59", "62"]
    assert listed["62"][flandre_lys.pk]["departements"] == ["59", "62"]
    assert flandre_lys.pk not in listed["80"]


@pytest.mark.django_db
def test_territories_filter_by_direct_parent(anonymous_api, fourmies, hauts_de_france):
    sud_avesnois = by_siren(SUD_AVESNOIS_SIREN)

    members = get_json(anonymous_api, "territories/", parent=sud_avesnois.pk)
    departements = results(anonymous_api, "territories/", parent=hauts_de_france.pk)

    assert members["count"] == 12
    assert {row["kind"] for row in members["results"]} == {"commune"}
    assert fourmies.pk in [row["id"] for row in members["results"]]
    assert codes(departements) == ["02", "59", "60", "62", "80"]  # not the communes below


@pytest.mark.django_db
def test_territory_detail_gives_codes_population_and_nesting(anonymous_api, fourmies):
    row = get_json(anonymous_api, f"territories/{fourmies.pk}/")

    assert row == {
        "id": fourmies.pk,
        "kind": "commune",
        "code": "59249",
        "siren": FOURMIES_SIREN,
        "siren_is_official": True,
        "siren_note": "",
        "name": "Fourmies",
        "slug": "fourmies-59249",
        "nature": "",
        "population": 11449,
        "population_year": 2023,
        "listed_population": None,
        "population_note": "",
        "departements": ["59"],
        "region": "32",
    }


@pytest.mark.django_db
def test_epci_detail_gives_its_nature(anonymous_api):
    sud_avesnois = by_siren(SUD_AVESNOIS_SIREN)

    row = get_json(anonymous_api, f"territories/{sud_avesnois.pk}/")

    assert (row["kind"], row["code"], row["siren"], row["nature"]) == (
        "epci",
        SUD_AVESNOIS_SIREN,
        SUD_AVESNOIS_SIREN,
        "CC",
    )
    assert (row["departements"], row["region"]) == (["59"], "32")


# --- Indicators -------------------------------------------------------------------


@pytest.mark.django_db
def test_indicators_are_the_catalogue_ordered_by_identifier(anonymous_api):
    page = get_json(anonymous_api, "indicators/")

    identifiers = codes(page["results"], "identifier")
    assert page["count"] == Indicator.objects.count() == len(identifiers)
    assert identifiers == sorted(identifiers)
    assert "cae_2.a" in identifiers


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"is_key": "true"}, ["cae_1.a", "cae_2.a", "cae_3.a", "cae_3.b"]),
        ({"theme": "territoire"}, ["terr_1"]),
        (
            {"theme": "mobilite_et_transport"},
            ["cae_1.k", "cae_2.m", "tri_amenagements_cyclables", "tri_points_recharge_ve"],
        ),
        (
            {"theme": "energie_et_climat", "is_key": "false"},
            [
                "cae_1.b",
                "cae_14.a",
                "cae_2.b",
                "cae_20",
                "cae_24.a",
                "cae_25.a",
                "tri_eclairage_public_conso",
            ],
        ),
    ],
)
def test_indicators_filter_by_theme_and_key(anonymous_api, params, expected):
    assert codes(results(anonymous_api, "indicators/", **params), "identifier") == expected


@pytest.mark.django_db
def test_indicator_detail_is_reached_by_its_identifier(anonymous_api):
    row = get_json(anonymous_api, "indicators/cae_3.b/")

    assert row == {
        "identifier": "cae_3.b",
        "name": Indicator.objects.get(identifier="cae_3.b").name,
        "unit": "%",
        "theme": "energie_et_climat",
        "direction": "higher",
        "aggregation": "ratio",
        "formula": "val(cae_3.a)/1000/val(cae_2.a)*100",
        "components": ["cae_3.a", "cae_2.a"],
        "is_key": True,
        "origin": row["origin"],
    }
    assert row["origin"] in {"ademe", "tri"}


# --- Contracts --------------------------------------------------------------------


@pytest.fixture
def draft_contract(fourmies, officer_a, officer_b):
    contract = ContractFactory(territory=fourmies, reference="COTRI-FOURMIES-BROUILLON")
    TargetFactory(contract=contract)
    return contract


@pytest.mark.parametrize(
    ("client_name", "sees_it"),
    [("anonymous_api", False), ("api_b", False), ("api_a", True), ("staff_api", True)],
)
def test_a_draft_contract_is_seen_only_by_its_officer_and_staff(
    request, draft_contract, contract_b, client_name, sees_it
):
    client = request.getfixturevalue(client_name)

    listed = codes(results(client, "contracts/"), "reference")
    targets = [row["contract"] for row in results(client, "targets/")]
    detail = client.get(f"{API}/contracts/{draft_contract.pk}/")

    assert ("COTRI-FOURMIES-BROUILLON" in listed) is sees_it
    assert (draft_contract.pk in targets) is sees_it
    assert detail.status_code == (200 if sees_it else 404)
    assert "COTRI-GRANDE-SYNTHE" in listed  # public contracts: everyone
    if sees_it:
        assert detail.json()["status"] == "draft"
        assert detail.json()["page_url"] is None  # no public page yet


def test_contract_detail_represents_territory_themes_signatories_and_dates(
    anonymous_api, contract_a, fourmies
):
    contract_a.themes.set(
        ContractTheme.objects.filter(slug__in=["mobilite-decarbonee", "batiment"])
    )
    contract_a.signatories.all().delete()  # the one signing needed
    Signatory.objects.create(contract=contract_a, organisation="Ville de Fourmies")
    Signatory.objects.create(contract=contract_a, organisation="ADEME")

    row = get_json(anonymous_api, f"contracts/{contract_a.pk}/")

    assert row["reference"] == "COTRI-FOURMIES"
    assert row["status"] == "active"
    assert (row["signed_on"], row["start_date"], row["end_date"]) == (
        "2017-10-24",
        "2017-10-24",
        "2020-10-23",
    )
    assert row["territory"] == {
        "id": fourmies.pk,
        "kind": "commune",
        "code": "59249",
        "siren": FOURMIES_SIREN,
        "siren_is_official": True,
        "name": "Fourmies",
    }
    assert sorted(row["themes"]) == ["batiment", "mobilite-decarbonee"]
    assert row["signatories"] == ["Ville de Fourmies", "ADEME"]
    assert row["page_url"] == f"http://testserver/contrats/{contract_a.pk}/"
    [target] = row["targets"]
    assert {k: v for k, v in target.items() if k not in ("id", "progress")} == {
        "indicator": "cae_2.a",
        "unit": "GWh",
        "baseline_year": 2015,
        "baseline_value": "1000",
        "target_year": 2020,
        "target_value": "900",
        "entered_as": "absolute",
        "relative_change": None,
        # Not computed yet (the aggregate jobs do): tests/api/test_alignment_api.py.
        "alignment": None,
        "alignment_label": None,
        "committed_pace": None,
        "required_pace": None,
        "alignment_gap": None,
        "is_demo": False,  # a contract entered by staff is real
    }
    assert row["is_demo"] is False


def test_target_progress_is_computed_from_the_validated_values(anonymous_api, contract_a, staff):
    validate(contract_a, 2018, staff, {"cae_2.a": "950"})

    [target] = get_json(anonymous_api, f"contracts/{contract_a.pk}/")["targets"]

    # 1000 (2015) → 900 (2020): the straight line expects 1000 − 100 × 3/5 = 940 in 2018;
    # 950 covers half of the way (0.5) but a lower value is better and 950 > 940: late.
    # At the pace 2015 → 2018 (−50 in 3 years) 900 is reached in 2021.
    assert target["progress"] == {
        "status": "late",
        "latest_year": 2018,
        "latest_value": "950",
        "achievement": "0.5",
        "expected": "940",
        "projected_year": 2021,
    }


@pytest.mark.parametrize(
    ("value", "status"),
    [("940", "on_track"), ("930.5", "on_track"), ("940.1", "late")],
)
def test_target_status_compares_the_latest_value_with_the_trajectory(
    anonymous_api, contract_a, staff, value, status
):
    validate(contract_a, 2018, staff, {"cae_2.a": value})

    [target] = results(anonymous_api, "targets/", contract=contract_a.pk)

    assert (target["progress"]["status"], target["progress"]["expected"]) == (status, "940")


def test_target_without_validated_value_has_no_data(anonymous_api, contract_a, staff):
    services.submit_report(report_with(contract_a, 2018, staff, {"cae_2.a": "800"}), staff)

    [target] = results(anonymous_api, "targets/", contract=contract_a.pk)

    assert target["progress"] == {
        "status": "no_data",
        "latest_year": None,
        "latest_value": None,
        "achievement": None,
        "expected": None,
        "projected_year": None,
    }


@pytest.fixture
def three_contracts(contract_a, contract_b, staff):
    """A (Fourmies) and B (Grande-Synthe): active, Nord, signed 2017. C: the CA du
    Saint-Quentinois (an EPCI of the Aisne), signed 2018, not yet active."""
    contract_a.themes.set(ContractTheme.objects.filter(slug="eclairage-public"))
    contract_c = signed_contract(
        by_siren(SAINT_QUENTINOIS_SIREN),
        staff,
        "COTRI-SAINT-QUENTINOIS",
        date(2018, 3, 1),
        themes=["mobilite-decarbonee"],
    )
    TargetFactory(contract=contract_c, indicator=indicator("cae_3.a"), target_value=3000)
    return contract_a, contract_b, contract_c


A, B, C = "COTRI-FOURMIES", "COTRI-GRANDE-SYNTHE", "COTRI-SAINT-QUENTINOIS"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [C, A, B]),  # latest signature first, then by reference
        ({"status": "signed"}, [C]),
        ({"status": "active"}, [A, B]),
        ({"status": "draft"}, []),
        ({"theme": "mobilite-decarbonee"}, [C]),
        ({"theme": "eclairage-public"}, [A]),
        ({"theme": "numerique"}, []),
        ({"signed_year": 2018}, [C]),
        ({"signed_year": 2017}, [A, B]),
        ({"departement": "02"}, [C]),
        ({"departement": "59"}, [A, B]),
        ({"departement": "62"}, []),
        ({"territory_code": "59249"}, [A]),
        ({"territory_code": "59271"}, [B]),
        ({"territory_siren": FOURMIES_SIREN}, [A]),
        ({"territory_siren": SAINT_QUENTINOIS_SIREN}, [C]),
        ({"territory_kind": "epci"}, [C]),
        ({"territory_kind": "commune"}, [A, B]),
        ({"departement": "59", "territory_code": "59271", "status": "active"}, [B]),
    ],
)
def test_contracts_filters(anonymous_api, three_contracts, params, expected):
    assert codes(results(anonymous_api, "contracts/", **params), "reference") == expected


def test_contracts_filter_by_territory_id(anonymous_api, three_contracts, grande_synthe):
    rows = results(anonymous_api, "contracts/", territory=grande_synthe.pk)

    assert codes(rows, "reference") == [B]


# --- Targets ----------------------------------------------------------------------


@pytest.fixture
def targets(three_contracts):
    contract_a, _, _ = three_contracts
    TargetFactory(
        contract=contract_a,
        indicator=indicator("cae_1.a"),
        baseline_value=50,
        target_year=2030,
        target_value=20,
    )
    return three_contracts


def target_keys(rows):
    return [(row["contract_reference"], row["indicator"], row["target_year"]) for row in rows]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"indicator": "cae_2.a"}, [(A, "cae_2.a", 2020), (B, "cae_2.a", 2020)]),
        ({"indicator": "cae_1.a,cae_3.a"}, [(A, "cae_1.a", 2030), (C, "cae_3.a", 2020)]),
        ({"indicator": "cae_2.a", "target_year": 2030}, []),
        ({"target_year": 2030}, [(A, "cae_1.a", 2030)]),
        ({"contract__territory_code": "59249"}, [(A, "cae_1.a", 2030), (A, "cae_2.a", 2020)]),
        ({"contract__territory_siren": SAINT_QUENTINOIS_SIREN}, [(C, "cae_3.a", 2020)]),
        ({"contract__territory_kind": "epci"}, [(C, "cae_3.a", 2020)]),
    ],
)
def test_targets_filters(anonymous_api, targets, params, expected):
    assert target_keys(results(anonymous_api, "targets/", **params)) == expected


def test_targets_filter_by_contract_and_territory_id(anonymous_api, targets, grande_synthe):
    contract_a = targets[0]

    by_contract = results(anonymous_api, "targets/", contract=contract_a.pk)
    by_territory = results(anonymous_api, "targets/", contract__territory=grande_synthe.pk)

    assert target_keys(by_contract) == [(A, "cae_1.a", 2030), (A, "cae_2.a", 2020)]
    assert target_keys(by_territory) == [(B, "cae_2.a", 2020)]


def test_target_detail_names_its_contract_and_territory(anonymous_api, contract_a, fourmies):
    target = contract_a.targets.get()

    row = get_json(anonymous_api, f"targets/{target.pk}/")

    assert (row["id"], row["contract"], row["contract_reference"]) == (
        target.pk,
        contract_a.pk,
        "COTRI-FOURMIES",
    )
    assert row["territory"]["code"] == "59249"
    assert row["territory"]["siren"] == FOURMIES_SIREN
    assert (row["baseline_value"], row["target_value"], row["unit"]) == ("1000", "900", "GWh")
    assert row["progress"]["status"] == "no_data"


# --- Values -----------------------------------------------------------------------


@pytest.fixture
def values_in_every_state(contract_a, staff, fourmies):
    """Fourmies, cae_2.a: 2016 draft, 2017 submitted, 2018 rejected, 2019 validated,
    2020 validated then superseded by a second contract's report for the same year."""
    report_with(contract_a, 2016, staff, {"cae_2.a": "990"})
    services.submit_report(report_with(contract_a, 2017, staff, {"cae_2.a": "980"}), staff)
    rejected = report_with(contract_a, 2018, staff, {"cae_2.a": "970"})
    services.submit_report(rejected, staff)
    services.reject_report(rejected, staff, "Source manquante.")
    validate(contract_a, 2019, staff, {"cae_2.a": "960"})
    validate(contract_a, 2020, staff, {"cae_2.a": "955"})
    second = signed_contract(fourmies, staff, "COTRI-FOURMIES-2", date(2020, 1, 15))
    validate(second, 2020, staff, {"cae_2.a": "950"})
    return {value.status: value for value in IndicatorValue.objects.all()}


def test_values_publishes_only_validated_values(anonymous_api, values_in_every_state):
    assert set(values_in_every_state) == set(ValueStatus.values)  # every state exists

    rows = results(anonymous_api, "values/")

    assert [(row["year"], row["value"]) for row in rows] == [(2019, "960"), (2020, "950")]


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "superseded"])
def test_an_unvalidated_value_has_no_detail(anonymous_api, values_in_every_state, status):
    value = values_in_every_state[status]

    get_json(anonymous_api, f"values/{value.pk}/", expected_status=404)


def test_a_value_row_names_its_territory_indicator_unit_and_validating_organisation(
    anonymous_api, contract_a, staff
):
    join_organisation(staff, REGION)
    validate(contract_a, 2018, staff, {"cae_3.a": "1200.50"})
    value = IndicatorValue.objects.get(status=ValueStatus.VALIDATED)

    row = get_json(anonymous_api, f"values/{value.pk}/")

    assert row == {
        "id": value.pk,
        "territory": contract_a.territory_id,
        "territory_kind": "commune",
        "territory_code": "59249",
        "territory_siren": FOURMIES_SIREN,
        "territory_siren_official": True,
        "territory_name": "Fourmies",
        "indicator": "cae_3.a",
        "unit": "MWh",
        "year": 2018,
        "value": "1200.5",
        "source": "ORECA",
        "validated_at": row["validated_at"],
        "validated_by_organisation": "Région Hauts-de-France",
        "is_demo": False,  # validated from a report of a real contract
        "corrected_at": None,  # never corrected since its validation
        "self_corrected": False,
        "derived": False,
    }
    validated_at = datetime.fromisoformat(row["validated_at"])
    assert validated_at.utcoffset() is not None
    assert validated_at == value.validated_at


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("950", "950"),
        ("1200.500000", "1200.5"),
        ("1000000", "1000000"),
        ("0.000001", "0.000001"),
        ("0", "0"),
    ],
)
def test_decimals_are_plain_strings_without_trailing_zeros(anonymous_api, fourmies, stored, shown):
    publish(fourmies, "cae_2.a", 2018, stored)

    [row] = results(anonymous_api, "values/")

    assert row["value"] == shown


@pytest.fixture
def published_values(fourmies, grande_synthe):
    """Validated values of two Nord communes, an Aisne commune and an EPCI."""
    saint_quentin = territory(TerritoryKind.COMMUNE, "02691")
    sud_avesnois = by_siren(SUD_AVESNOIS_SIREN)
    for place, identifier, year, value in [
        (fourmies, "cae_2.a", 2017, "960"),
        (fourmies, "cae_2.a", 2018, "950"),
        (fourmies, "cae_3.a", 2018, "1200"),
        (grande_synthe, "cae_2.a", 2019, "2000"),
        (saint_quentin, "cae_1.a", 2020, "300"),
        (sud_avesnois, "cae_2.a", 2018, "4000"),
    ]:
        publish(place, identifier, year, value)


def value_keys(rows):
    return sorted((row["territory_name"], row["indicator"], row["year"]) for row in rows)


F, GS, SQ, SA = "Fourmies", "Grande-Synthe", "Saint-Quentin", "CC du Sud Avesnois"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"territory_code": "59249"},
            [(F, "cae_2.a", 2017), (F, "cae_2.a", 2018), (F, "cae_3.a", 2018)],
        ),
        ({"territory_siren": FOURMIES_SIREN, "year": 2017}, [(F, "cae_2.a", 2017)]),
        ({"territory_siren": SUD_AVESNOIS_SIREN}, [(SA, "cae_2.a", 2018)]),
        ({"territory_kind": "epci"}, [(SA, "cae_2.a", 2018)]),
        ({"territory_kind": "commune", "indicator": "cae_1.a"}, [(SQ, "cae_1.a", 2020)]),
        ({"departement": "02"}, [(SQ, "cae_1.a", 2020)]),
        (
            {"departement": "59", "year": 2018},
            [(SA, "cae_2.a", 2018), (F, "cae_2.a", 2018), (F, "cae_3.a", 2018)],
        ),
        ({"indicator": "cae_3.a"}, [(F, "cae_3.a", 2018)]),
        ({"indicator": "cae_3.a,cae_1.a"}, [(F, "cae_3.a", 2018), (SQ, "cae_1.a", 2020)]),
        ({"indicator": " cae_1.a , cae_1.a "}, [(SQ, "cae_1.a", 2020)]),
        ({"year": 2018}, [(SA, "cae_2.a", 2018), (F, "cae_2.a", 2018), (F, "cae_3.a", 2018)]),
        ({"year_min": 2019}, [(GS, "cae_2.a", 2019), (SQ, "cae_1.a", 2020)]),
        ({"year_max": 2017}, [(F, "cae_2.a", 2017)]),
        (
            {"year_min": 2018, "year_max": 2019, "indicator": "cae_2.a"},
            [(SA, "cae_2.a", 2018), (F, "cae_2.a", 2018), (GS, "cae_2.a", 2019)],
        ),
        ({"year": 1990}, []),
    ],
)
def test_values_filters(anonymous_api, published_values, params, expected):
    assert value_keys(results(anonymous_api, "values/", **params)) == sorted(expected)


@pytest.mark.django_db
def test_values_filter_by_territory_id(anonymous_api, published_values, grande_synthe):
    rows = results(anonymous_api, "values/", territory=grande_synthe.pk)

    assert value_keys(rows) == [(GS, "cae_2.a", 2019)]


@pytest.mark.django_db
def test_values_are_ordered_by_territory_indicator_and_year(anonymous_api, published_values):
    rows = results(anonymous_api, "values/")
    indicator_ids = dict(Indicator.objects.values_list("identifier", "pk"))

    keys = [(row["territory"], indicator_ids[row["indicator"]], row["year"]) for row in rows]
    assert len(keys) == 6
    assert keys == sorted(keys)


# --- Aggregates -------------------------------------------------------------------


@pytest.fixture
def aggregates(hauts_de_france):
    nord = territory(TerritoryKind.DEPARTEMENT, "59")
    aisne = territory(TerritoryKind.DEPARTEMENT, "02")
    sud_avesnois = by_siren(SUD_AVESNOIS_SIREN)
    aggregate(hauts_de_france, "cae_2.a", 2018, "7000", covered_population=40000, contributors=3)
    aggregate(nord, "cae_2.a", 2018, "6000.500000", covered_population=30000, contributors=2)
    aggregate(nord, "cae_2.a", 2019, "5900", covered_population=30000, contributors=2)
    aggregate(aisne, "cae_1.a", 2020, "300", covered_population=10000, contributors=1)
    aggregate(
        sud_avesnois,
        "cae_3.a",
        2018,
        "1200",
        covered_population=24208,  # all its communes
        contributors=1,
        conflicts=[{"territory": 1}, {"territory": 2}],
    )


def aggregate_keys(rows):
    return [(row["scope_code"], row["indicator"], row["year"]) for row in rows]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"scope_code": "59"}, [("59", "cae_2.a", 2018), ("59", "cae_2.a", 2019)]),
        ({"scope_code": "32"}, [("32", "cae_2.a", 2018)]),
        ({"scope_siren": SUD_AVESNOIS_SIREN}, [(SUD_AVESNOIS_SIREN, "cae_3.a", 2018)]),
        ({"scope_kind": "departement", "year": 2020}, [("02", "cae_1.a", 2020)]),
        ({"scope_kind": "epci"}, [(SUD_AVESNOIS_SIREN, "cae_3.a", 2018)]),
        ({"indicator": "cae_2.a", "year_min": 2019}, [("59", "cae_2.a", 2019)]),
        (
            {"indicator": "cae_1.a,cae_3.a"},
            [(SUD_AVESNOIS_SIREN, "cae_3.a", 2018), ("02", "cae_1.a", 2020)],
        ),
        ({"year_max": 2018, "scope_kind": "region"}, [("32", "cae_2.a", 2018)]),
    ],
)
def test_aggregates_filters(anonymous_api, aggregates, params, expected):
    assert sorted(aggregate_keys(results(anonymous_api, "aggregates/", **params))) == sorted(
        expected
    )


def test_aggregates_filter_by_scope_id(anonymous_api, aggregates, hauts_de_france):
    rows = results(anonymous_api, "aggregates/", scope=hauts_de_france.pk)

    assert aggregate_keys(rows) == [("32", "cae_2.a", 2018)]


def test_an_aggregate_row_gives_coverage_and_conflict_count(anonymous_api, aggregates):
    sud_avesnois = by_siren(SUD_AVESNOIS_SIREN)
    [row] = results(anonymous_api, "aggregates/", scope_kind="epci")
    [nord] = results(anonymous_api, "aggregates/", scope_code="59", year=2018)

    assert {k: v for k, v in row.items() if k not in ("id", "computed_at")} == {
        "scope": sud_avesnois.pk,
        "scope_kind": "epci",
        "scope_code": SUD_AVESNOIS_SIREN,
        "scope_siren": SUD_AVESNOIS_SIREN,
        "scope_siren_official": True,
        "scope_name": "CC du Sud Avesnois",
        "indicator": "cae_3.a",
        "unit": "MWh",
        "year": 2018,
        "value": "1200",
        "covered_population": 24208,
        "scope_population": 24208,
        "covered_share": "1",
        "is_partial": False,
        "contributors": 1,
        "conflicts": 2,
        "is_demo": False,
    }
    assert datetime.fromisoformat(row["computed_at"]).utcoffset() is not None
    assert (nord["value"], nord["conflicts"], nord["scope_siren"]) == ("6000.5", 0, "")
    # 30 000 inhabitants of the Nord's 2 615 635: a partial aggregate, not its total.
    assert (nord["scope_population"], nord["covered_share"], nord["is_partial"]) == (
        2615635,
        "0.0115",
        True,
    )
    assert get_json(anonymous_api, f"aggregates/{row['id']}/") == row


def test_validating_a_report_publishes_the_aggregates_above_the_territory(
    anonymous_api, contract_a, staff, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        validate(contract_a, 2018, staff, {"cae_2.a": "950"})

    by_code = results(anonymous_api, "aggregates/", scope_code="59", indicator="cae_2.a")
    in_epci = results(anonymous_api, "aggregates/", scope_siren=SUD_AVESNOIS_SIREN, year=2018)
    ratio = results(
        anonymous_api, "aggregates/", scope_siren=SUD_AVESNOIS_SIREN, indicator="cae_2.b"
    )

    assert [(row["year"], row["value"], row["contributors"]) for row in by_code] == [
        (2018, "950", 1)
    ]
    assert [row["indicator"] for row in in_epci] == ["cae_2.a", "cae_2.b"]  # + MWh/hab
    assert in_epci[0]["value"] == "950"
    assert [(row["year"], row["unit"]) for row in ratio] == [(2018, "MWh/hab")]


# --- Pagination -------------------------------------------------------------------


def walk(client, path, **params):
    """Every row of a list, following the ``next`` links page by page."""
    page = get_json(client, path, **params)
    count, rows, pages = page["count"], list(page["results"]), 1
    while page["next"]:
        response = client.get(page["next"])
        assert response.status_code == 200
        page = response.json()
        assert page["count"] == count
        assert page["previous"] is not None
        rows.extend(page["results"])
        pages += 1
    return count, rows, pages


@pytest.mark.django_db
def test_walking_territory_pages_gives_every_row_once_in_order(anonymous_api):
    count, rows, pages = walk(anonymous_api, "territories/", departement="80", page_size=300)

    ids = [row["id"] for row in rows]
    expected = list(
        Territory.objects.filter(
            ancestor_links__ancestor__kind=TerritoryKind.DEPARTEMENT,
            ancestor_links__ancestor__code="80",
        )
        .order_by("kind", "code", "pk")
        .values_list("pk", flat=True)
    )
    assert pages == 3
    assert count == len(ids) == len(set(ids)) == len(expected)
    assert ids == expected


@pytest.mark.django_db
def test_walking_value_pages_gives_every_row_once(anonymous_api):
    communes = Territory.objects.filter(kind=TerritoryKind.COMMUNE).order_by("code")[:8]
    for commune in communes:
        for year in (2019, 2017, 2018):
            publish(commune, "cae_2.a", year, "10")

    count, rows, pages = walk(anonymous_api, "values/", page_size=5)

    keys = [(row["territory"], row["year"]) for row in rows]
    assert (count, pages) == (24, 5)
    assert len(set(keys)) == 24
    assert keys == sorted(keys)


@pytest.mark.django_db
def test_pages_hold_up_to_one_thousand_rows(anonymous_api):
    page = get_json(anonymous_api, "territories/", page_size=1000)

    assert page["count"] == Territory.objects.count()
    assert len(page["results"]) == 1000


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["0", "1001", "5000", "abc", "-1", "2.5"])
def test_a_page_size_out_of_range_is_a_400_in_french(anonymous_api, page_size):
    body = get_json(anonymous_api, "territories/", expected_status=400, page_size=page_size)

    assert body["errors"] == {"page_size": ["Nombre entier de 1 à 1000 attendu."]}


@pytest.mark.django_db
def test_a_page_past_the_end_is_a_400_on_page_in_french(anonymous_api):
    body = get_json(anonymous_api, "territories/", expected_status=400, kind="region", page=2)

    assert body["errors"] == {"page": ["Page inexistante : Page non valide."]}


# --- Errors -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("territories/", {"kind": "canton"}, "Sélectionnez un choix valide"),
        ("territories/", {"code": "5924X"}, "« 5924X » n'est pas un code officiel"),
        ("territories/", {"siren": "21590249"}, "Un SIREN compte 9 chiffres."),
        ("territories/", {"departement": "99"}, "Département inconnu : « 99 »."),
        ("territories/", {"parent": "Nord"}, "Saisissez un nombre entier."),
        ("indicators/", {"theme": "sport"}, "Sélectionnez un choix valide"),
        ("contracts/", {"status": "archived"}, "Sélectionnez un choix valide"),
        ("contracts/", {"theme": "sport"}, "Sélectionnez un choix valide"),
        ("contracts/", {"signed_year": "1800"}, "supérieure ou égale à 1990"),
        ("contracts/", {"departement": "2C"}, "Département inconnu : « 2C »."),
        ("contracts/", {"territory_siren": "12345678"}, "Un SIREN compte 9 chiffres."),
        ("targets/", {"indicator": "cae_99"}, "Indicateur inconnu : cae_99"),
        ("targets/", {"target_year": "3000"}, "inférieure ou égale à 2100"),
        (
            "values/",
            {"indicator": "cae_2.a,inconnu"},
            "Indicateur inconnu : inconnu (voir /api/v1/indicators/).",
        ),
        ("values/", {"territory_code": "abc"}, "« abc » n'est pas un code officiel"),
        ("values/", {"territory_kind": "canton"}, "Sélectionnez un choix valide"),
        ("values/", {"year": "1800"}, "supérieure ou égale à 1990"),
        ("values/", {"year_min": "3000"}, "inférieure ou égale à 2100"),
        ("values/", {"year_max": "deux-mille"}, "Saisissez un nombre entier."),
        ("values/", {"year": "2018.5"}, "Saisissez un nombre entier."),
        ("aggregates/", {"scope_code": "123456"}, "« 123456 » n'est pas un code officiel"),
        ("aggregates/", {"scope_siren": "2000434040"}, "Un SIREN compte 9 chiffres."),
        ("aggregates/", {"year": "1989"}, "supérieure ou égale à 1990"),
    ],
)
def test_a_bad_filter_value_is_a_400_with_the_reason_under_its_name(
    anonymous_api, path, params, message
):
    body = get_json(anonymous_api, path, expected_status=400, **params)

    [name] = params
    assert body["detail"] == INVALID_REQUEST
    assert list(body["errors"]) == [name]
    assert message in body["errors"][name][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "territories/",
        "indicators/",
        "contracts/",
        "targets/",
        "values/",
        "aggregates/",
        "regional-goals/",
    ],
)
def test_an_unknown_parameter_is_refused(anonymous_api, path):
    body = get_json(anonymous_api, path, expected_status=400, territoire="59", annee="2018")

    assert body == {
        "detail": INVALID_REQUEST,
        "errors": {"annee": ["Paramètre inconnu."], "territoire": ["Paramètre inconnu."]},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["contracts/", "targets/", "values/", "aggregates/"])
def test_an_unknown_export_format_is_refused(anonymous_api, path):
    body = get_json(anonymous_api, path, expected_status=400, format="pdf")

    assert body["errors"] == {"format": ["Format inconnu : choisissez json, csv ou xlsx."]}


UNKNOWN_DETAILS = [
    "territories/999999/",
    "indicators/cae_99.z/",
    "contracts/999999/",
    "targets/999999/",
    "values/999999/",
    "aggregates/999999/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*UNKNOWN_DETAILS, "contracts/abc/"])
def test_an_unknown_detail_is_a_json_404(anonymous_api, path):
    body = get_json(anonymous_api, path, expected_status=404)

    assert list(body) == ["detail"]


@pytest.mark.django_db
def test_a_malformed_detail_id_is_a_404_in_french(anonymous_api):
    assert get_json(anonymous_api, "contracts/abc/", expected_status=404) == {
        "detail": "Ressource introuvable (ou hors de votre périmètre)."
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", UNKNOWN_DETAILS)
def test_an_unknown_detail_says_so_in_french(anonymous_api, path):
    assert get_json(anonymous_api, path, expected_status=404) == {
        "detail": "Ressource introuvable (ou hors de votre périmètre)."
    }


# --- Known defects (see the report to the lead) -------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "name"),
    [("territories/", "code"), ("values/", "territory_code"), ("aggregates/", "scope_code")],
)
def test_an_epci_is_found_by_the_code_the_api_gives_it(anonymous_api, path, name):
    sud_avesnois = by_siren(SUD_AVESNOIS_SIREN)
    publish(sud_avesnois, "cae_2.a", 2018, "4000")
    aggregate(sud_avesnois, "cae_2.a", 2018, "4000")
    code = get_json(anonymous_api, f"territories/{sud_avesnois.pk}/")["code"]

    rows = results(anonymous_api, path, **{name: code})

    assert len(rows) == 1


ID_FILTERS = [
    ("territories/", "parent"),
    ("contracts/", "territory"),
    ("targets/", "contract"),
    ("targets/", "contract__territory"),
    ("values/", "territory"),
    ("aggregates/", "scope"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
def test_an_id_filter_beyond_the_integer_range_is_a_400(anonymous_api, path, name):
    body = get_json(anonymous_api, path, expected_status=400, **{name: "1" + "0" * 20})

    assert list(body["errors"]) == [name]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), ID_FILTERS)
def test_an_id_filter_refuses_a_decimal(anonymous_api, path, name):
    body = get_json(anonymous_api, path, expected_status=400, **{name: "1.5"})

    assert body["errors"] == {name: ["Saisissez un nombre entier."]}


@pytest.mark.django_db
def test_an_unreadable_boolean_is_a_400(anonymous_api):
    body = get_json(anonymous_api, "indicators/", expected_status=400, is_key="oui")

    assert list(body["errors"]) == ["is_key"]
