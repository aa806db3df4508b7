"""Bulk import of indicator values from a CSV or XLSX file: all or nothing, every
error listed with its line, values land in draft reports with their history."""

import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from contracts import imports, services
from contracts.imports import reading
from contracts.models import ProgressReport, ReportStatus
from indicators.models import IndicatorValue, ValueStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable
from tests.contracts.spreadsheets import row_xml, sheet_xml, xlsx_with_sheet
from tri_portal.models import ApiToken

HEADER = [
    "code_territoire",
    "indicateur",
    "annee",
    "valeur",
    "unite",
    "source",
    "commentaire",
    "justification",
]
ARRAS = "200033579"  # CU d'Arras (SIREN)
IMPORT_URL = "/espace/import/"


# --- Fixtures and helpers ------------------------------------------------------------


@pytest.fixture
def contract(staff, fourmies):
    """Fourmies' signed contract, 2017-2020, with a 2015 baseline: years 2015 to 2020."""
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract)  # cae_2.a, baseline 2015
    return services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))


@pytest.fixture
def arras_contract(staff):
    arras = Territory.objects.get(kind=TerritoryKind.EPCI, code=ARRAS)
    return services.sign_contract(
        signable(ContractFactory(territory=arras)), staff, signed_on=date(2017, 10, 24)
    )


def csv_file(rows, *, delimiter=";", bom=False, header=HEADER, name="valeurs.csv"):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerows([header, *rows] if header else rows)
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, *, header=HEADER, extra_sheets=(), name="valeurs.xlsx", title="Valeurs"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in [header, *rows]:
        sheet.append(row)
    for extra in extra_sheets:
        workbook.create_sheet(extra).append(["notes"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def counts():
    return IndicatorValue.objects.count(), ProgressReport.objects.count()


def assert_errors(result, expected: set[tuple[int | None, str]]):
    """Each error matches exactly one expected (line, fragment) pair, and vice versa."""
    unmatched = list(result.errors)
    for line, fragment in expected:
        matches = [error for error in unmatched if error[0] == line and fragment in error[1]]
        assert matches, f"no error at line {line} containing « {fragment} » in {result.errors}"
        unmatched.remove(matches[0])
    assert not unmatched, f"unexpected errors: {unmatched}"


VALID_ROWS = [
    ["59249", "cae_2.a", "2018", "1 234,5", "GWh", "Observatoire Climat", "estimation"],
    ["59249", "cae_1.a", "2018", "250", "kteq CO2", "", ""],
    ["59249", "cae_3.a", "2019", "12345.678", "mwh", "", ""],  # unit case ignored
]


# --- Valid files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", False), (";", True), (",", False), (",", True)]
)
def test_valid_csv_imports_into_draft_reports_with_history(officer, contract, delimiter, bom):
    result = imports.import_values(csv_file(VALID_ROWS, delimiter=delimiter, bom=bom), officer)

    assert result.errors == []
    assert (result.rows, result.created, result.updated) == (3, 3, 0)
    assert [(r.contract, r.year) for r in result.reports] == [(contract, 2018), (contract, 2019)]
    assert all(r.status == ReportStatus.DRAFT for r in result.reports)
    value = IndicatorValue.objects.get(indicator=indicator("cae_2.a"), year=2018)
    assert value.value == Decimal("1234.5")
    assert value.territory == contract.territory
    assert value.report.contract == contract
    assert value.status == ValueStatus.DRAFT
    assert (value.source, value.comment) == ("Observatoire Climat", "estimation")
    assert value.entered_by == officer
    assert IndicatorValue.objects.get(indicator=indicator("cae_3.a")).value == Decimal("12345.678")
    for value in IndicatorValue.objects.all():
        history = value.history.get()
        assert history.history_user == officer
        assert history.history_type == "+"
    report = ProgressReport.objects.get(contract=contract, year=2019)
    assert {h.history_user for h in report.history.all()} == {officer}  # created, then written


@pytest.mark.parametrize("is_demo", [False, True])
def test_imported_values_are_demonstration_data_only_for_a_demonstration_contract(
    officer, contract, is_demo
):
    type(contract).objects.filter(pk=contract.pk).update(is_demo=is_demo)

    result = imports.import_values(csv_file(VALID_ROWS), officer)

    assert result.errors == []
    assert {v.is_demo for v in IndicatorValue.objects.all()} == {is_demo}


def history_fields(row) -> dict:
    """A history row without its own id and date."""
    names = [f.attname for f in row._meta.concrete_fields]
    return {n: getattr(row, n) for n in names if n not in ("history_id", "history_date")}


def test_the_import_writes_the_history_rows_simple_history_would(officer, contract):
    """The import copies its history rows in SQL: they must be the rows of the
    library's own bulk helper (same fields, type, user, no reason), creation then update."""
    imports.import_values(csv_file(VALID_ROWS), officer)
    imports.import_values(csv_file([[*row[:3], "7", *row[4:]] for row in VALID_ROWS]), officer)

    values = list(IndicatorValue.objects.order_by("pk"))
    assert len(values) == 3
    for value in values:
        created, updated = value.history.order_by("history_id")
        assert (created.history_type, updated.history_type) == ("+", "~")
        [reference] = IndicatorValue.history.bulk_history_create(
            [value],
            update=True,
            default_user=officer,
            default_change_reason=None,  # as bulk_create_with_history passes it
            default_date=updated.history_date,
        )
        assert history_fields(updated) == history_fields(reference)
        assert updated.value == Decimal(7) != created.value
        assert created.history_user == officer
        assert created.history_change_reason is None


def test_valid_xlsx_imports_like_the_csv(officer, contract):
    rows = [
        [59249, "cae_2.a", 2018, 1234.5, "GWh", "Observatoire Climat", None],  # numbers as numbers
        ["59249", "cae_1.a", "2018", "250", "kteq CO2", None, None],
        ["59249", "cae_3.a", 2019.0, 12345.678, "MWh", None, None],
    ]

    result = imports.import_values(xlsx_file(rows), officer)

    assert result.errors == []
    assert result.warnings == []
    assert (result.rows, result.created, len(result.reports)) == (3, 3, 2)
    assert IndicatorValue.objects.get(indicator=indicator("cae_2.a"), year=2018).value == Decimal(
        "1234.5"
    )
    assert IndicatorValue.objects.get(indicator=indicator("cae_3.a"), year=2019).value == Decimal(
        "12345.678"
    )


def test_header_is_case_insensitive_and_blank_rows_are_skipped(officer, contract):
    header = ["Code_Territoire", "INDICATEUR", "Année", "Valeur", "Unité", "Source", "Commentaire"]
    rows = [VALID_ROWS[0], ["", "", "", "", "", "", ""], VALID_ROWS[1]]

    result = imports.import_values(csv_file(rows, header=header), officer)

    assert result.errors == []
    assert result.rows == 2


def test_rows_without_value_are_ignored_with_a_warning(officer, contract):
    rows = [VALID_ROWS[0], ["59249", "cae_1.a", "2018", "", "kteq CO2", "", ""]]

    result = imports.import_values(csv_file(rows), officer)

    assert result.errors == []
    assert result.rows == 1
    assert result.warnings == ["1 ligne(s) sans valeur ignorée(s)."]


def test_reimporting_updates_values_instead_of_duplicating(officer, contract):
    imports.import_values(csv_file(VALID_ROWS), officer)
    before = counts()
    changed = [["59249", "cae_2.a", "2018", "1 300", "GWh", "ORECA", "révisé"], *VALID_ROWS[1:]]

    result = imports.import_values(csv_file(changed), officer)

    assert result.errors == []
    assert (result.created, result.updated) == (0, 3)
    assert counts() == before
    value = IndicatorValue.objects.get(indicator=indicator("cae_2.a"), year=2018)
    assert (value.value, value.source, value.comment) == (Decimal("1300"), "ORECA", "révisé")
    assert [h.history_type for h in value.history.all()] == ["~", "+"]
    assert value.history.first().value == Decimal("1300")


def test_import_updates_a_value_entered_in_the_form(officer, contract):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )

    result = imports.import_values(csv_file(VALID_ROWS[:1]), officer)

    assert (result.created, result.updated) == (0, 1)
    assert report.values.get().value == Decimal("1234.5")


def test_import_writes_into_a_rejected_report_as_draft_values(officer, staff, contract):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )
    services.submit_report(report, officer)
    services.reject_report(report, staff, "Source manquante")

    result = imports.import_values(csv_file(VALID_ROWS[:1]), officer)

    assert result.errors == []
    value = report.values.get()
    assert (value.value, value.status) == (Decimal("1234.5"), ValueStatus.DRAFT)


def test_a_renewal_receives_the_years_after_the_last_one_of_the_earlier_contract(
    officer, staff, contract, fourmies
):
    renewal = ContractFactory(
        territory=fourmies, start_date=date(2020, 1, 1), end_date=date(2022, 12, 31)
    )
    services.sign_contract(signable(renewal), staff, signed_on=date(2019, 12, 15))
    rows = [
        ["59249", "cae_2.a", "2020", "1000", "GWh", "", ""],
        ["59249", "cae_2.a", "2021", "990", "GWh", "", ""],
    ]

    result = imports.import_values(csv_file(rows), officer)

    # 2020 is the earlier contract's last year (contracts.calendar): reported there, once.
    assert {(r.contract, r.year) for r in result.reports} == {(contract, 2020), (renewal, 2021)}


def test_staff_may_import_for_any_territory(staff, contract, arras_contract):
    rows = [VALID_ROWS[0], [ARRAS, "cae_2.a", "2018", "3 500", "GWh", "", ""]]

    result = imports.import_values(csv_file(rows), staff)

    assert result.errors == []
    assert {r.contract for r in result.reports} == {contract, arras_contract}
    assert IndicatorValue.objects.get(territory__code=ARRAS).entered_by == staff


def test_officer_importing_for_another_territory_gets_not_assigned_and_nothing_saved(
    officer, contract, arras_contract
):
    before = counts()
    rows = [VALID_ROWS[0], [ARRAS, "cae_2.a", "2018", "3 500", "GWh", "", ""]]

    result = imports.import_values(csv_file(rows), officer)

    assert_errors(result, {(3, "territoire non attribué")})
    assert "COTRI" not in result.errors[0][1]  # nothing about the other territory's contracts
    assert counts() == before
    assert result.rows == 0
    assert result.reports == []


def test_territory_without_contract_is_not_assigned_for_an_officer(officer, contract):
    rows = [["62041", "cae_2.a", "2018", "10", "GWh", "", ""]]  # Arras, the commune

    result = imports.import_values(csv_file(rows), officer)

    assert_errors(result, {(2, "territoire non attribué")})


# --- Optimistic locking: an import is a save like the form's and the API's ------------

STALE = "modifié par quelqu'un d'autre"


def report_version(contract, year) -> int:
    return ProgressReport.objects.get(contract=contract, year=year).version


def loaded_version(response) -> str:
    """The report version the progress form carries in its hidden field."""
    return re.search(r'name="version" value="(\d*)"', response.content.decode()).group(1)


def test_import_counts_one_version_per_report_it_writes_with_history(officer, contract):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )
    untouched = services.open_report(contract, 2017, officer)
    assert (report_version(contract, 2018), untouched.version) == (1, 0)

    result = imports.import_values(csv_file(VALID_ROWS), officer)  # 2018 and 2019

    assert result.errors == []
    assert report_version(contract, 2018) == 2
    assert report_version(contract, 2019) == 1  # created by the import, then written
    assert report_version(contract, 2017) == 0
    assert [r.version for r in result.reports] == [2, 1]
    latest = ProgressReport.objects.get(contract=contract, year=2018).history.first()
    assert (latest.version, latest.history_type, latest.history_user) == (2, "~", officer)
    created = ProgressReport.objects.get(contract=contract, year=2019)
    assert [(h.version, h.history_type) for h in created.history.order_by("history_id")] == [
        (0, "+"),
        (1, "~"),
    ]


def test_a_refused_import_counts_no_version(officer, contract):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )
    history = ProgressReport.history.count()

    result = imports.import_values(
        csv_file([VALID_ROWS[0], ["99999", "cae_2.a", "2018", "10", "GWh", "", ""]]), officer
    )

    assert result.errors
    assert report_version(contract, 2018) == 1
    assert ProgressReport.history.count() == history


def test_api_save_with_the_version_read_before_an_import_is_refused(officer, contract):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(officer, 'tests')[1]}")
    url = f"/api/v1/reports/{report.pk}/values/"
    version = api.get(f"/api/v1/reports/{report.pk}/").json()["version"]

    assert imports.import_values(csv_file(VALID_ROWS[:1]), officer).errors == []
    response = api.put(
        url, {"values": [{"indicator": "cae_2.a", "value": "800"}], "version": version}, "json"
    )

    assert response.status_code == 409
    assert STALE in response.json()["detail"]
    assert report.values.get().value == Decimal("1234.5")  # the imported value is kept
    current = api.get(f"/api/v1/reports/{report.pk}/").json()["version"]
    assert current == version + 1
    again = api.put(
        url, {"values": [{"indicator": "cae_2.a", "value": "800"}], "version": current}, "json"
    )
    assert again.status_code == 200  # with the version read after the import, it saves


@pytest.mark.parametrize("existing", [True, False], ids=["existing-report", "new-report"])
def test_progress_form_opened_before_an_import_is_refused_on_save(
    client, officer, contract, existing
):
    if existing:
        services.save_report_values(
            services.open_report(contract, 2018, officer),
            [services.ReportedValue(indicator("cae_2.a"), "900")],
            officer,
        )
    client.force_login(officer)
    url = f"/espace/contrats/{contract.pk}/rapports/2018/"
    version = loaded_version(client.get(url))

    assert imports.import_values(csv_file(VALID_ROWS[:1]), officer).errors == []
    response = client.post(url, {f"valeur-{indicator('cae_2.a').pk}": "700", "version": version})

    assert response.status_code == 400
    assert STALE in html.unescape(response.content.decode())
    value = IndicatorValue.objects.get(report__contract=contract, year=2018)
    assert value.value == Decimal("1234.5")


# --- Invalid rows: all or nothing ----------------------------------------------------


def test_file_with_one_of_each_bad_row_saves_nothing_and_lists_every_error(
    officer, contract, arras_contract
):
    submitted = services.open_report(contract, 2016, officer)
    services.save_report_values(
        submitted, [services.ReportedValue(indicator("cae_1.a"), "300")], officer
    )
    services.submit_report(submitted, officer)
    before = counts()
    future = str(timezone.localdate().year + 1)
    rows = [
        ["59249", "cae_2.a", "2018", "1 234,5", "GWh", "", ""],  # 2: valid
        ["99999", "cae_2.a", "2018", "10", "GWh", "", ""],  # 3
        ["59249", "cae_99.z", "2018", "10", "GWh", "", ""],  # 4
        ["59249", "cae_3.b", "2018", "12", "%", "", ""],  # 5
        ["59249", "cae_2.a", "2019", "100", "kWh", "", ""],  # 6
        ["59249", "cae_2.a", "2017", "beaucoup", "GWh", "", ""],  # 7
        ["59249", "cae_1.a", "2017", "NaN", "kteq CO2", "", ""],  # 8
        ["59249", "cae_1.a", "2018", "inf", "kteq CO2", "", ""],  # 9
        ["59249", "cae_3.a", "2018", "-5", "MWh", "", ""],  # 10
        ["59249", "cae_2.a", "2015", "9 999 999", "GWh", "", ""],  # 11
        ["59249", "cae_2.a", "2012", "10", "GWh", "", ""],  # 12
        ["59249", "cae_2.a", future, "10", "GWh", "", ""],  # 13
        [ARRAS, "cae_2.a", "2018", "10", "GWh", "", ""],  # 14
        ["59249", "cae_2.a", "2018", "1234.5", "GWh", "", ""],  # 15: same as line 2
        ["59249", "cae_1.a", "2016", "10", "kteq CO2", "", ""],  # 16
        ["59249", "cae_3.a", "2018,5", "10", "MWh", "", ""],  # 17
    ]

    result = imports.import_values(csv_file(rows), officer)

    assert_errors(
        result,
        {
            (3, "territoire inconnu"),
            (4, "indicateur inconnu"),
            (5, "calculé, ne se saisit pas"),
            (6, "unité « kWh » incorrecte"),
            (7, "n'est pas un nombre"),
            (8, "nombre fini"),
            (9, "nombre fini"),
            (10, "hors des bornes"),
            (11, "hors des bornes"),
            (12, "année hors contrat"),
            (13, "année dans le futur"),
            (14, "territoire non attribué"),
            (15, "ligne en double : même territoire, indicateur et année qu'à la ligne 2"),
            (16, "rapport déjà soumis : il n'est plus modifiable"),
            (17, "année non entière"),
        },
    )
    assert [line for line, _message in result.errors] == sorted(
        line for line, _message in result.errors
    )
    assert counts() == before
    assert (result.rows, result.created, result.updated, result.reports) == (0, 0, 0, [])


def test_validated_report_is_not_modifiable(officer, staff, contract):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(indicator("cae_2.a"), "900")], officer
    )
    services.submit_report(report, officer)
    services.validate_report(report, staff)

    result = imports.import_values(csv_file(VALID_ROWS[:1]), officer)

    assert_errors(result, {(2, "rapport déjà soumis : il n'est plus modifiable")})
    assert report.values.get().value == Decimal("900")


def test_year_outside_a_contract_that_is_not_signed_yet(officer, fourmies):
    ContractFactory(territory=fourmies)  # draft

    result = imports.import_values(csv_file(VALID_ROWS[:1]), officer)

    assert_errors(result, {(2, "année hors contrat")})


def test_too_many_columns_hints_at_the_separator(officer, contract):
    file = SimpleUploadedFile(
        "valeurs.csv",
        (",".join(HEADER) + "\n59249,cae_2.a,2018,1234,5,GWh,,,\n").encode(),
    )

    result = imports.import_values(file, officer)

    assert_errors(result, {(2, "plus de 8 colonnes")})


# --- Invalid files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "fragment"),
    [
        (SimpleUploadedFile("valeurs.csv", b""), "le fichier est vide"),
        (SimpleUploadedFile("valeurs.csv", "\ufeff\r\n".encode()), "le fichier est vide"),
        (csv_file([]), "aucune ligne de données"),
        (csv_file([["", "", "", "", "", "", ""]]), "aucune ligne de données"),
        (xlsx_file([]), "aucune ligne de données"),
        (csv_file([VALID_ROWS[0]], header=["code", "indicateur"]), "en-tête attendu"),
        (csv_file([VALID_ROWS[0]], header=HEADER[:5]), "en-tête attendu"),
        (csv_file([VALID_ROWS[0]], header=None), "en-tête attendu"),
        (
            SimpleUploadedFile("rapport.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\n"),
            "n'est pas un CSV en UTF-8",
        ),
        (SimpleUploadedFile("valeurs.csv", b"a;b\x00c"), "n'est pas un fichier CSV"),
        (SimpleUploadedFile("valeurs.txt", ";".join(HEADER).encode()), "format non reconnu"),
        (SimpleUploadedFile("valeurs.pdf", b"%PDF-1.7\n"), "format non reconnu"),
        (SimpleUploadedFile("valeurs", b"x"), "format non reconnu"),
        (csv_file([VALID_ROWS[0]], name="valeurs.xlsx"), "n'est pas un classeur XLSX"),
        (SimpleUploadedFile("valeurs.xlsx", b"PK\x03\x04damaged"), "n'est pas un classeur XLSX"),
        (
            SimpleUploadedFile("valeurs.csv", b"x" * (imports.MAX_IMPORT_BYTES + 1)),
            "dépasse 5 Mo",
        ),
    ],
    ids=[
        "empty",
        "bom-only",
        "header-only",
        "header-and-blank-row",
        "xlsx-header-only",
        "wrong-header",
        "missing-columns",
        "no-header",
        "pdf-renamed-csv",
        "binary-csv",
        "txt",
        "pdf",
        "no-extension",
        "csv-renamed-xlsx",
        "damaged-xlsx",
        "too-big",
    ],
)
def test_unreadable_file_is_refused_as_a_whole(officer, contract, file, fragment):
    before = counts()

    result = imports.import_values(file, officer)

    assert_errors(result, {(None, fragment)})
    assert counts() == before


def raw_csv(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("valeurs.csv", "\n".join([";".join(HEADER), *lines]).encode())


ROW_2018 = "59249;cae_2.a;2018;1 234,5;GWh;Observatoire;"
ROW_2019 = "59249;cae_3.a;2019;12345.678;MWh;;"


@pytest.mark.parametrize(
    ("lines", "line"),
    [
        ([ROW_2018, '59249;cae_1.a;2018;250;kteq CO2;"OREC;', ROW_2019, ROW_2019], 3),
        ([ROW_2018, ROW_2019, '59249;cae_1.a;2018;250;kteq CO2;"OREC;'], 4),
        (['59249;cae_1.a;2018;250;kteq CO2;"OREC;'], 2),
        ([ROW_2018, '59249;cae_1.a;2018;250;kteq CO2;"OREC;', '59249;"cae_3.a";2019;1;MWh;;'], 3),
        ([ROW_2018, '59249;cae_1.a;2018;250;kteq CO2;"ORE"C;', ROW_2019], 3),
    ],
    ids=[
        "unclosed-then-valid-lines",
        "unclosed-on-the-last-line",
        "unclosed-on-the-only-line",
        "unclosed-then-a-quoted-cell",
        "text-after-the-closing-quote",
    ],
)
def test_csv_with_an_unclosed_quote_is_refused_at_the_line_it_opens(officer, contract, lines, line):
    before = counts()

    result = imports.import_values(raw_csv(*lines), officer)

    assert_errors(result, {(None, f"CSV illisible vers la ligne {line} : guillemet non fermé")})
    assert counts() == before


def test_a_quoted_comment_on_several_lines_is_read_and_lines_stay_numbered(officer, contract):
    comment = '"estimation\nrévisée ; voir ""note"" jointe"'
    lines = [f"{ROW_2018}{comment}", "59249;cae_99.z;2019;1;MWh;;", ROW_2019]

    refused = imports.import_values(raw_csv(*lines), officer)
    result = imports.import_values(raw_csv(lines[0], lines[2]), officer)

    assert_errors(refused, {(4, "indicateur inconnu")})  # line 2 spans two lines
    assert result.errors == []
    assert result.rows == 2
    value = IndicatorValue.objects.get(indicator=indicator("cae_2.a"))
    assert value.comment == 'estimation\nrévisée ; voir "note" jointe'


def test_unclosed_quote_error_is_shown_on_the_import_page(client, officer, contract):
    client.force_login(officer)
    before = counts()
    upload = raw_csv('200033579;cae_2.a;2018;5;GWh;"OREC;', ROW_2018, ROW_2019)

    response = client.post(IMPORT_URL, {"file": upload})

    assert response.status_code == 200
    assert "CSV illisible vers la ligne 2 : guillemet non fermé" in html.unescape(
        response.content.decode()
    )
    assert counts() == before


def test_values_only_rows_of_template_are_nothing_to_import(officer, contract):
    result = imports.import_values(
        csv_file([["59249", "cae_2.a", "2018", "", "GWh", "", ""]]), officer
    )

    assert_errors(result, {(None, "aucune valeur à importer")})


def test_xlsx_with_a_formula_is_refused_cell_by_cell(officer, contract):
    before = counts()
    rows = [
        VALID_ROWS[0],
        ["59249", "cae_1.a", 2018, "=200+50", "kteq CO2", None, None],
        ["59249", "cae_3.a", "=2017+1", "=SUM(1,2)", "MWh", None, None],
    ]

    result = imports.import_values(xlsx_file(rows), officer)

    assert_errors(
        result,
        {
            (3, "formule : saisissez la valeur (cellule D3)"),
            (4, "formule : saisissez la valeur (cellule C4)"),
            (4, "formule : saisissez la valeur (cellule D4)"),
        },
    )
    assert counts() == before


def test_xlsx_with_two_sheets_imports_the_first_with_a_warning(officer, contract):
    result = imports.import_values(xlsx_file(VALID_ROWS, extra_sheets=["Notes"]), officer)

    assert result.errors == []
    assert result.rows == 3
    assert result.warnings == [
        "le fichier contient 2 feuilles : seule la première (« Valeurs ») a été lue"
    ]


def test_xlsx_reads_aisne_codes_typed_as_numbers(staff, db):
    commune = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="02691")  # Saint-Quentin
    contract = services.sign_contract(
        signable(ContractFactory(territory=commune)), staff, signed_on=date(2017, 10, 24)
    )

    result = imports.import_values(xlsx_file([[2691, "cae_2.a", 2018, 900, "GWh"]]), staff)

    assert result.errors == []
    assert result.reports[0].contract == contract


# --- Limits: a small file never ties up a worker --------------------------------------

TOO_MANY_LINES = (
    "le fichier dépasse 20\xa0000 lignes de données (40\xa0000 lignes en comptant les lignes "
    "vides) : découpez-le en plusieurs fichiers."
)
ROW = ["59249", "cae_2.a", "2018", "950", "GWh", "", ""]


@pytest.fixture
def lines_read(monkeypatch):
    """The lines each reader hands over, counted as they are read."""
    read = []

    def counting(reader):
        def wrapped(*args):
            for line, cells in reader(*args):
                read.append(line)
                yield line, cells

        return wrapped

    monkeypatch.setattr(reading, "_csv_lines", counting(reading._csv_lines))
    monkeypatch.setattr(reading, "_xlsx_lines", counting(reading._xlsx_lines))
    return read


def xlsx_upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("valeurs.xlsx", content)


def header_row() -> str:
    return row_xml(1, HEADER)


def test_limits_are_the_documented_ones():
    """The limits the import page, the messages and the README state."""
    assert (imports.MAX_IMPORT_ROWS, imports.MAX_IMPORT_LINES) == (20_000, 40_000)
    assert (imports.MAX_IMPORT_BYTES, imports.MAX_XLSX_UNPACKED) == (5 * 2**20, 50 * 2**20)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_over_the_row_limit_is_refused_as_soon_as_the_limit_is_crossed(
    officer, contract, lines_read, fmt
):
    rows = [ROW] * (imports.MAX_IMPORT_ROWS + 5)
    upload = (
        csv_file(rows)
        if fmt == "csv"
        else xlsx_upload(
            xlsx_with_sheet(sheet_xml([header_row()] + [row_xml(n, ROW) for n in range(2, 20_007)]))
        )
    )
    before = counts()

    result = imports.import_values(upload, officer)

    assert_errors(result, {(None, TOO_MANY_LINES)})
    assert counts() == before
    assert len(lines_read) == imports.MAX_IMPORT_ROWS + 2  # header, 20 000 rows, one more


def test_blank_lines_are_skipped_up_to_the_line_limit(officer, contract, lines_read):
    blank = "\n" * (imports.MAX_IMPORT_LINES - 4)
    text = f"{';'.join(HEADER)}\n{';'.join(ROW)}\n{blank}{';'.join(VALID_ROWS[1])}\n"

    table = imports.read_table(SimpleUploadedFile("valeurs.csv", text.encode()))

    assert [line for line, _cells in table.rows] == [2, imports.MAX_IMPORT_LINES - 1]


def test_a_megabyte_of_blank_lines_stops_at_the_line_limit(officer, contract, lines_read):
    text = f"{';'.join(HEADER)}\n{';'.join(ROW)}\n" + "\n" * 1_000_000
    before = counts()

    result = imports.import_values(SimpleUploadedFile("valeurs.csv", text.encode()), officer)

    assert_errors(result, {(None, TOO_MANY_LINES)})
    assert counts() == before
    assert len(lines_read) == imports.MAX_IMPORT_LINES + 1


def test_a_sheet_declaring_a_million_rows_and_every_column_imports_its_real_rows(
    officer, contract, lines_read
):
    rows = [header_row(), row_xml(2, ROW)]
    upload = xlsx_upload(xlsx_with_sheet(sheet_xml(rows, dimension="A1:XFD1048576")))

    result = imports.import_values(upload, officer)

    assert result.errors == []
    assert result.rows == 1
    assert len(lines_read) == 2  # no phantom rows up to the declared last one


def test_a_tiny_xlsx_with_a_row_a_million_lines_down_stops_at_the_line_limit(
    officer, contract, lines_read
):
    rows = [header_row(), row_xml(2, ROW), row_xml(1_048_576, ROW)]

    result = imports.import_values(xlsx_upload(xlsx_with_sheet(sheet_xml(rows))), officer)

    assert_errors(result, {(None, TOO_MANY_LINES)})
    assert len(lines_read) == imports.MAX_IMPORT_LINES + 1


@pytest.mark.parametrize(
    ("numbered", "message"),
    [
        (False, "le classeur XLSX est anormalement compressé (une partie fait plus de 100 fois"),
        (True, "le classeur XLSX contient plus de 400\xa0000 cellules"),
    ],
    ids=["rows-without-number", "numbered-rows"],
)
def test_a_small_xlsx_of_half_a_million_rows_is_refused_before_it_is_read(
    officer, contract, lines_read, numbered, message
):
    """The probe's file: 500 000 rows in 76 KB (rows need no number in XLSX), or in a
    few megabytes with their numbers."""
    if numbered:
        rows = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(2, 500_002))
    else:
        rows = "<row><c><v>1</v></c></row>" * 500_000
    content = xlsx_with_sheet(sheet_xml([header_row(), rows]))
    assert len(content) < imports.MAX_IMPORT_BYTES
    before = counts()

    result = imports.import_values(xlsx_upload(content), officer)

    assert_errors(result, {(None, message)})
    assert counts() == before
    assert lines_read == []


def test_an_xlsx_over_the_unpacked_size_is_refused(officer, contract, lines_read):
    padding = " " * (imports.MAX_XLSX_UNPACKED + 1)
    content = xlsx_with_sheet(sheet_xml([header_row(), row_xml(2, ROW), padding]))

    result = imports.import_values(xlsx_upload(content), officer)

    assert_errors(
        result,
        {(None, "le classeur XLSX dépasse 50 Mo une fois décompressé : découpez-le")},
    )
    assert lines_read == []


@pytest.mark.parametrize(
    ("limit", "value", "rows", "message"),
    [
        (
            "MAX_XLSX_CELLS",
            30,
            [row_xml(n, ROW) for n in range(2, 6)],  # 35 cells with the header's
            "le classeur XLSX contient plus de 30 cellules : ne gardez que les lignes à "
            "importer (20\xa0000 au plus)",
        ),
        (
            "MAX_XLSX_ELEMENTS",
            60,
            [row_xml(n, ROW) for n in range(2, 6)],
            "le classeur XLSX contient plus de 60 éléments",
        ),
    ],
    ids=["cells", "elements"],
)
def test_an_xlsx_over_a_scan_limit_is_refused_before_it_is_read(
    officer, contract, lines_read, monkeypatch, limit, value, rows, message
):
    monkeypatch.setattr(reading, limit, value)

    result = imports.import_values(
        xlsx_upload(xlsx_with_sheet(sheet_xml([header_row(), *rows]))), officer
    )

    assert_errors(result, {(None, message)})
    assert lines_read == []


def test_a_row_of_a_thousand_and_one_cells_is_refused_before_it_is_read(
    officer, contract, lines_read
):
    wide = "".join(f'<c r="A2"><v>{n}</v></c>' for n in range(1001))
    rows = [header_row(), f'<row r="2">{wide}</row>']

    result = imports.import_values(xlsx_upload(xlsx_with_sheet(sheet_xml(rows))), officer)

    assert_errors(
        result,
        {(None, "une ligne du classeur XLSX contient plus de 1\xa0000 cellules")},
    )
    assert lines_read == []


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        (
            sheet_xml([header_row(), row_xml(2, ROW)], dimension="A1:G2")[:-40],
            "ce fichier n'est pas un classeur XLSX valide.",
        ),
        (
            sheet_xml(
                [header_row(), '<row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>'],
                dimension="A1:G2",
                prolog='<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
                '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>',
            ),
            "ce fichier n'est pas un classeur XLSX valide.",
        ),
        (
            sheet_xml([header_row(), '<row r="2"><c r="A2" t="n"><v>abc</v></c></row>']),
            "ce fichier n'est pas un classeur XLSX valide : feuille illisible après la ligne 1.",
        ),
    ],
    ids=["truncated-sheet", "entities", "number-cell-not-a-number"],
)
def test_a_damaged_or_hostile_sheet_is_refused_in_french(officer, contract, sheet, message):
    before = counts()

    result = imports.import_values(xlsx_upload(xlsx_with_sheet(sheet)), officer)

    assert_errors(result, {(None, message)})
    assert counts() == before


def test_openpyxl_parses_through_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_the_import_page_states_the_limits(client, officer):
    client.force_login(officer)

    page = client.get(IMPORT_URL).content.decode()

    assert "5 Mo" in page
    assert "20\xa0000 lignes de données" in page
    assert "50 Mo une fois décompressé" in page


# --- Volume --------------------------------------------------------------------------


def test_ten_thousand_rows_import_in_bulk(staff, django_assert_max_num_queries):
    """50 communes × 10 indicators × 20 years (contracts with a 2001 baseline)."""
    communes = list(Territory.objects.filter(kind=TerritoryKind.COMMUNE).order_by("code")[:50])
    for commune in communes:
        contract = ContractFactory(territory=commune)
        TargetFactory(contract=contract, baseline_year=2001)
        services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    identifiers = [
        "cae_1.a",
        "cae_1.c",
        "cae_1.d",
        "cae_2.a",
        "cae_2.e",
        "cae_2.f",
        "cae_3.a",
        "cae_24.a",
        "cae_25.a",
        "tri_eclairage_public_conso",
    ]
    units = {identifier: indicator(identifier).unit for identifier in identifiers}
    rows = [
        [commune.code, identifier, str(year), f"{year - 2000},5", units[identifier], "", ""]
        for commune in communes
        for identifier in identifiers
        for year in range(2001, 2021)
    ]
    assert len(rows) == 10_000

    with django_assert_max_num_queries(400):
        result = imports.import_values(csv_file(rows), staff)

    assert result.errors == []
    assert (result.rows, result.created, len(result.reports)) == (10_000, 10_000, 1_000)
    assert IndicatorValue.objects.filter(status=ValueStatus.DRAFT).count() == 10_000
    assert IndicatorValue.history.filter(history_user=staff).count() == 10_000
    assert ProgressReport.objects.count() == 1_000

    with django_assert_max_num_queries(400):
        again = imports.import_values(csv_file(rows), staff)

    assert (again.created, again.updated) == (0, 10_000)
    assert IndicatorValue.objects.count() == 10_000


# --- Pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, db, method):
    response = getattr(client, method)(IMPORT_URL)

    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={IMPORT_URL}"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymous_cannot_download_the_template(client, db, fmt):
    response = client.get(f"/espace/import/modele.{fmt}")

    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next=/espace/import/modele.{fmt}"


def test_import_page_shows_an_accessible_upload_form(client, officer):
    client.force_login(officer)

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Importer des valeurs</h1>" in html
    assert '<label class="form-label" for="id_file">Fichier CSV ou XLSX</label>' in html
    assert 'aria-describedby="id_file_helptext"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "code_territoire, indicateur, annee, valeur, unite, source, commentaire" in html
    assert 'href="/espace/import/modele.csv"' in html
    assert 'href="/espace/import/modele.xlsx"' in html
    assert 'role="alert"' not in html


def test_successful_import_redirects_to_the_officer_space_with_a_message(client, officer, contract):
    client.force_login(officer)

    response = client.post(IMPORT_URL, {"file": xlsx_file(VALID_ROWS, extra_sheets=["Notes"])})

    assert response.status_code == 302
    assert response.url == "/espace/"
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        (
            "success",
            "3 valeur(s) importée(s) dans 2 rapport(s) en brouillon : "
            "vérifiez-les puis soumettez chaque rapport.",
        ),
        ("warning", "le fichier contient 2 feuilles : seule la première (« Valeurs ») a été lue"),
    ]
    assert IndicatorValue.objects.filter(entered_by=officer).count() == 3


def test_import_with_errors_lists_them_and_saves_nothing(client, officer, contract):
    client.force_login(officer)
    rows = [VALID_ROWS[0], ["99999", "cae_2.a", "2018", "10", "GWh", "", ""], VALID_ROWS[0]]
    before = counts()

    response = client.post(IMPORT_URL, {"file": csv_file(rows)})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Aucune valeur n'a été enregistrée : 2 erreur(s)" in html
    assert '<th scope="row">3</th>' in html
    assert '<th scope="row">4</th>' in html
    assert "territoire inconnu" in html
    assert "ligne en double" in html
    assert counts() == before


def test_unreadable_file_error_is_shown_next_to_the_field(client, officer, contract):
    client.force_login(officer)

    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("valeurs.txt", b"code_territoire")}
    )

    html = response.content.decode()
    assert "Aucune valeur n'a été enregistrée : 1 erreur(s)" in html
    assert 'id="id_file_error"' in html
    assert 'aria-describedby="id_file_helptext id_file_error"' in html
    assert 'aria-invalid="true"' in html
    assert "format non reconnu" in html


def test_missing_file_is_an_error_next_to_the_field(client, officer):
    client.force_login(officer)

    response = client.post(IMPORT_URL, {})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'id="id_file_error"' in html


def test_post_without_csrf_token_is_forbidden(officer, contract):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    before = counts()

    response = client.post(IMPORT_URL, {"file": csv_file(VALID_ROWS)})

    assert response.status_code == 403
    assert counts() == before


def test_csv_template_lists_the_officers_contracts(client, officer, contract, arras_contract):
    client.force_login(officer)

    response = client.get("/espace/import/modele.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="modele-import-valeurs.csv"'
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    year = str(min(2020, timezone.localdate().year - 1))
    assert rows[1:] == [
        ["59249", "cae_2.a", year, "", "GWh", "", ""],
        ["59249", "cae_1.a", year, "", "kteq CO2", "", ""],
        ["59249", "cae_3.a", year, "", "MWh", "", ""],
    ]


def test_xlsx_template_has_the_values_sheet_with_the_same_rows(client, officer, contract):
    client.force_login(officer)

    response = client.get("/espace/import/modele.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="modele-import-valeurs.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Valeurs", "Actions"]  # the actions: test_action_updates.py
    rows = list(workbook["Valeurs"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [row[:2] for row in rows[1:]] == [
        ("59249", "cae_2.a"),
        ("59249", "cae_1.a"),
        ("59249", "cae_3.a"),
    ]


def test_filled_template_imports_back(client, officer, contract):
    client.force_login(officer)
    workbook = load_workbook(io.BytesIO(client.get("/espace/import/modele.xlsx").content))
    sheet = workbook["Valeurs"]
    for row, value in zip(sheet.iter_rows(min_row=2), (900, 250, 12_000), strict=True):
        row[3].value = value
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("modele-import-valeurs.xlsx", buffer.getvalue())}
    )

    assert response.status_code == 302
    assert IndicatorValue.objects.filter(entered_by=officer).count() == 3


def test_staff_template_lists_every_reportable_contract(client, staff, contract, arras_contract):
    client.force_login(staff)

    response = client.get("/espace/import/modele.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert {row[0] for row in rows[1:]} == {"59249", ARRAS}


def test_unknown_template_format_is_not_found(client, officer):
    client.force_login(officer)

    assert client.get("/espace/import/modele.ods").status_code == 404
