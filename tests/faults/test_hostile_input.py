"""Hostile values in every form, import and public query string of the portal.

One list of hostile values (injections, 1 MB strings, control characters, RTL marks,
NaN, 1e309, negative zero, impossible dates…) is fed to each field. Whatever the
value, the answer is never a 500: either a French error and nothing saved (rows
compared before/after), or the value stored as given (what Django's form strips
aside) and rendered escaped on every page that shows it — the officer's form, the
staff review page, the e-mails, the open-data API and its files.

The write API has its own hostile-input tests (tests/api/test_bad_input_api.py)."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.test import APIClient

from contracts import services
from contracts.imports import COLUMNS
from contracts.models import ProgressReport, ReportStatus
from indicators.models import IndicatorValue, ValueStatus
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable
from tests.contracts.spreadsheets import row_xml, sheet_xml, xlsx_with_sheet
from tests.factories import UserFactory
from tri_portal.models import ApiToken

pytestmark = pytest.mark.fault

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- The hostile values -------------------------------------------------------------

HOSTILE_VALUES = {
    "sql": "' OR '1'='1'; DROP TABLE contracts_contract; --",
    "script": "<script>alert('xss')</script>",
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "js-url": "javascript:alert(document.cookie)",
    "template": "{{ request.user.password }}{% debug %}",
    "formula": '=HYPERLINK("http://pirate.example";"clic")',
    "1MB": "A" * 1_000_000,
    "5000-digits": "9" * 5000,
    "nul": "avant\x00après",
    "control": "\x01\x08\x1b[31mrouge\x7f",
    "rtl": "\u202egnp.exe\u202c\u200f",
    "zero-width": "\u200b\u200d\ufeff",
    "crlf": "ligne\r\nSet-Cookie: pirate=1",
    "emoji": "🔥💧 énergie",
    "NaN": "NaN",
    "1e309": "1e309",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "minus-zero": "-0",
    "zero": "0",
    "date-zero": "0000-00-00",
    "year-99999": "99999",
    "superscript-two": "²",
}
HOSTILE = [pytest.param(value, id=name) for name, value in HOSTILE_VALUES.items()]

NOT_FINITE = {"NaN", "1e309", "Infinity", "-Infinity"}  # refused in French
ZEROS = {"0", "-0"}  # valid numbers, stored as 0

# Words of Django's English messages: a French message has none of them.
ENGLISH = re.compile(
    r"\b(this|field|is|not|valid|invalid|enter|ensure|must|error|required|characters|"
    r"allowed|number|whole|null|has|at most)\b",
    re.IGNORECASE,
)
MARKUP = re.compile(r"<script>alert|<img src=x")  # escaped, they are mere text

# --- Assertions ---------------------------------------------------------------------


def assert_french(messages, hostile: str):
    messages = [str(m) for m in messages]
    assert messages, "aucun message d'erreur"
    for message in messages:
        text = message.replace(hostile, "").replace(escape(hostile), "")
        assert text.strip(), message[:200]
        assert not ENGLISH.search(text), text[:300]


def form_messages(response) -> list[str]:
    form = response.context["form"]
    return [m for messages in form.errors.values() for m in messages]


def assert_escaped(response, hostile: str, *, shown: str | None = None):
    """The hostile text never turns into markup; ``shown`` must be on the page,
    escaped (the stored text, where the page displays it)."""
    body = response.content.decode()
    assert not MARKUP.search(body), MARKUP.search(body)[0]
    if set(hostile) & set("<>\"'&"):
        assert hostile not in body, "valeur rendue sans échappement"
    if shown is not None:
        assert escape(shown) in body, "valeur enregistrée absente de la page"


def db_state():
    return (
        list(
            ProgressReport.objects.order_by("pk").values_list(
                "pk", "status", "version", "rejection_reason"
            )
        ),
        list(
            IndicatorValue.objects.order_by("pk").values_list(
                "pk", "year", "value", "source", "comment", "status"
            )
        ),
        ProgressReport.history.count(),
        IndicatorValue.history.count(),
        ApiToken.objects.count(),
    )


# --- Data: Fourmies' active contract, its officer, staff ------------------------------


@pytest.fixture
def staff(db):
    return UserFactory(
        username="agent.region", email="agent@region.example", is_staff=True, is_superuser=True
    )


@pytest.fixture
def officer(db):
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    user = UserFactory(username="referent.fourmies", email="referent@fourmies.example")
    OfficerAssignment.objects.create(user=user, territory=fourmies)
    return user


@pytest.fixture
def contract(staff, officer, monkeypatch):
    monkeypatch.setattr(
        "contracts.services.contract_status.refresh_contract_stats", lambda territories=None: 0
    )
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    contract = ContractFactory(territory=fourmies, reference="COTRI-FOURMIES")
    TargetFactory(contract=contract)  # cae_2.a, in GWh
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    return contract


def save_values(contract, officer, year, value="950", source="Observatoire", comment="RAS"):
    report = services.open_report(contract, year, by=officer)
    services.save_report_values(
        report,
        [services.ReportedValue(indicator("cae_2.a"), value, source=source, comment=comment)],
        by=officer,
    )
    return report


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def staff_client(staff):
    from django.test import Client

    client = Client()
    client.force_login(staff)
    return client


# --- The officer's progress form ------------------------------------------------------


def form_data(report, **fields) -> dict:
    key = indicator("cae_2.a").pk
    data = {
        f"valeur-{key}": "950",
        f"source-{key}": "Observatoire",
        f"commentaire-{key}": "RAS",
        "version": str(report.version),
        "save": "",
    }
    for name, value in fields.items():
        data[name if name in ("version", "save", "submit") else f"{name}-{key}"] = value
    return data


def current_value(report) -> IndicatorValue:
    return IndicatorValue.objects.get(report=report, indicator__identifier="cae_2.a")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_progress_form_refuses_in_french_or_stores_and_escapes(
    officer_client, officer, staff, contract, hostile
):
    report = save_values(contract, officer, 2018)
    url = reverse("officer:report", args=[contract.pk, 2018])

    for field in ("valeur", "source", "commentaire", "version"):
        report.refresh_from_db()
        before = db_state()

        response = officer_client.post(url, form_data(report, **{field: hostile}))

        assert response.status_code in (302, 400), (field, response.status_code)
        if response.status_code == 400:
            assert "rien n'a été enregistré" in response.content.decode()
            assert_french(form_messages(response), hostile)
            assert_escaped(response, hostile)
            assert db_state() == before, field
            assert not (field == "valeur" and hostile in ZEROS), "0 est une valeur valide"
            continue
        assert field != "version" or hostile.strip().lstrip("-").isdigit()
        assert not (field == "valeur" and hostile in NOT_FINITE), f"{hostile} accepté"
        stored = current_value(report)
        if field == "valeur":
            assert stored.value == Decimal(hostile.strip())
            shown = format(stored.value.normalize(), "f").replace(".", ",")
            page = officer_client.get(url)
            assert f'value="{shown}"' in page.content.decode()  # "-0" is shown as 0
            assert_escaped(page, hostile)
            continue
        if field == "source":
            assert stored.source == hostile.strip()
            shown = stored.source
        elif field == "commentaire":
            assert stored.comment == hostile.strip()
            shown = stored.comment
        else:
            shown = None
        assert_escaped(officer_client.get(url), hostile, shown=shown)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_source_published_stays_text_everywhere(
    officer_client, officer, staff_client, staff, contract, hostile
):
    """The hostile text submitted as source and comment, reviewed, validated: the
    staff page escapes it, the open-data API returns it as is, its CSV neutralises a
    spreadsheet formula and its XLSX is still written."""
    report = save_values(contract, officer, 2018)
    url = reverse("officer:report", args=[contract.pk, 2018])

    response = officer_client.post(
        url, form_data(report, source=hostile, commentaire=hostile, submit="")
    )

    if response.status_code == 400:
        assert_french(form_messages(response), hostile)
        report.refresh_from_db()
        assert report.status == ReportStatus.DRAFT
        return
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    source = current_value(report).source
    assert source == hostile.strip()
    review = staff_client.get(reverse("staff_report", args=[report.pk]))
    assert review.status_code == 200
    assert_escaped(review, hostile, shown=source)

    services.validate_report(report, staff)
    listing = staff_client.get("/api/v1/values/")
    exported = staff_client.get("/api/v1/values/?format=csv")
    workbook = staff_client.get("/api/v1/values/?format=xlsx")

    assert [row["source"] for row in listing.json()["results"]] == [source]
    assert (exported.status_code, workbook.status_code) == (200, 200)
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    cell = rows[1][rows[0].index("source")]
    if source.startswith(("=", "+", "-", "@")):
        assert cell == "'" + source  # a spreadsheet shows it, never runs it
    else:
        assert cell.replace("\r\n", "\n") == source.replace("\r\n", "\n")
    page = staff_client.get(reverse("contract", args=[contract.pk]))
    assert page.status_code == 200
    assert_escaped(page, hostile)


# --- The staff forms: rejection and correction ----------------------------------------


@pytest.fixture
def submitted(contract, officer):
    return services.submit_report(save_values(contract, officer, 2019), officer)


@pytest.fixture
def validated_value(contract, officer, staff):
    report = services.submit_report(save_values(contract, officer, 2017, "1000"), officer)
    services.validate_report(report, staff)
    return current_value(report)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_reject_form_refuses_in_french_or_stores_and_escapes(
    staff_client,
    officer_client,
    submitted,
    hostile,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    before = db_state()
    url = reverse("staff_report", args=[submitted.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"action": "reject", "reason": hostile})

    submitted.refresh_from_db()
    if response.status_code == 400:
        assert_french(response.context["reject_form"].errors["reason"], hostile)
        assert_escaped(response, hostile)
        assert (submitted.status, db_state()) == (ReportStatus.SUBMITTED, before)
        return
    assert response.status_code == 302
    assert (submitted.status, submitted.rejection_reason) == (
        ReportStatus.REJECTED,
        hostile.strip(),
    )
    # The officer sees the reason on the form, escaped (line breaks as <br>).
    form = officer_client.get(reverse("officer:report", args=[submitted.contract_id, 2019]))
    assert_escaped(form, hostile)
    assert linebreaksbr(hostile.strip(), autoescape=True) in form.content.decode()
    # The e-mail: the reason verbatim in the text part, escaped in the HTML part.
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert hostile.strip() in message.body
    assert not MARKUP.search(html)
    assert message.subject == "Votre rapport 2019 est à corriger"  # no reason in a header


@pytest.mark.parametrize("hostile", HOSTILE)
def test_correction_form_refuses_in_french_or_stores_and_escapes(
    staff_client, validated_value, hostile
):
    url = reverse("correct_value", args=[validated_value.pk])

    for field, data in (
        ("value", {"value": hostile, "reason": "Erreur de saisie"}),
        ("reason", {"value": "960", "reason": hostile}),
    ):
        before = db_state()
        response = staff_client.post(url, data)

        assert response.status_code in (302, 400), (field, response.status_code)
        if response.status_code == 400:
            assert_french(form_messages(response), hostile)
            assert_escaped(response, hostile)
            assert db_state() == before
            assert not (field == "value" and hostile in ZEROS), "0 est une valeur valide"
            continue
        validated_value.refresh_from_db()
        assert validated_value.status == ValueStatus.VALIDATED
        if field == "value":
            assert hostile not in NOT_FINITE
            assert validated_value.value == Decimal(hostile.strip())
        else:
            assert validated_value.comment.endswith(f"Correction : {hostile.strip()}")
        admin_page = staff_client.get(
            reverse("admin:indicators_indicatorvalue_change", args=[validated_value.pk])
        )
        assert admin_page.status_code == 200
        assert_escaped(admin_page, hostile)


# --- API tokens, login, password reset -------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_token_name_refuses_in_french_or_stores_and_escapes(officer_client, officer, hostile):
    url = reverse("api_tokens")

    response = officer_client.post(url, {"name": hostile, "password": "mot-de-passe-solide-2026"})

    if response.status_code == 400:
        assert_french(form_messages(response), hostile)
        assert_escaped(response, hostile)
        assert not ApiToken.objects.exists()
        return
    assert response.status_code == 200
    token = ApiToken.objects.get(user=officer)
    assert token.name == hostile.strip()
    assert token.name.isprintable()  # the form refuses invisible and control characters
    assert_escaped(officer_client.get(url), hostile, shown=token.name)


LOGIN_PARAMS = [
    pytest.param(
        field,
        value,
        id=f"{field}-{name}",
    )
    for field in ("username", "password")
    for name, value in HOSTILE_VALUES.items()
]


@pytest.mark.parametrize(("field", "hostile"), LOGIN_PARAMS)
def test_login_form_refuses_hostile_credentials_in_french(client, officer, field, hostile):
    credentials = {"username": officer.username, "password": "mauvais-mot-de-passe"}
    credentials[field] = hostile

    response = client.post(reverse("login"), credentials)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert_french(form_messages(response), hostile)
    assert_escaped(response, hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_password_reset_form_answers_in_french_and_sends_nothing(client, officer, hostile):
    response = client.post(reverse("password_reset"), {"email": hostile})

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert_french(form_messages(response), hostile)
        assert_escaped(response, hostile)
    else:
        assert response.url == reverse("password_reset_done")
    assert mail.outbox == []
    assert get_user_model().objects.get(pk=officer.pk).password == officer.password


# --- API JSON bodies ------------------------------------------------------------------
# Shapes of body that no serializer expects, sent to every write of the API: each
# parser-level refusal is a French JSON 400 whatever the endpoint, and nothing changes.

JSON_BODIES = {
    "3000-open-brackets": b"[" * 3000,
    "100000-open-braces": b'{"a":' * 100_000,
    "40-levels-closed": b"[" * 40 + b"]" * 40,
    "truncated": b'{"values": [{"indicator": "cae_2.a", "value": "9',
    "nan-literal": b"NaN",
    "integer-of-5000-digits": b"9" * 5000,
    "invalid-utf8": b'"\xff\xfe"',
    "bare-string": b'"<script>alert(1)</script>"',
}
API_WRITES = {
    # (who, method, URL; {pk}: a draft report for the officer, submitted for staff)
    "put-values": ("officer", "PUT", "/api/v1/reports/{pk}/values/"),
    "open-report": ("officer", "POST", "/api/v1/reports/"),
    "reject-report": ("staff", "POST", "/api/v1/reports/{pk}/reject/"),
}


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user, 'hostile')[1]}")
    return client


@pytest.mark.parametrize("raw", JSON_BODIES.values(), ids=JSON_BODIES.keys())
@pytest.mark.parametrize("write", API_WRITES.values(), ids=API_WRITES.keys())
def test_api_writes_refuse_hostile_json_bodies_in_french(
    contract, officer, staff, submitted, write, raw
):
    who, method, url = write
    draft = save_values(contract, officer, 2018)
    client = token_client(officer if who == "officer" else staff)
    before = db_state()

    response = client.generic(
        method,
        url.format(pk=(draft if who == "officer" else submitted).pk),
        raw,
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert_french([body["detail"], *(m for ms in body.get("errors", {}).values() for m in ms)], "")
    assert db_state() == before


# --- Public query strings --------------------------------------------------------------


def public_url(target: str, hostile: str) -> str:
    if target == "territory-code":
        return f"/territoires/code/{quote(hostile, safe='')}/"
    path, _, parameter = target.partition("?")
    return f"{path}?{urlencode({parameter: hostile})}"


PUBLIC_TARGETS = [
    "/contrats/?q",
    "/contrats/?statut",
    "/contrats/?departement",
    "/contrats/?theme",
    "/contrats/?annee",
    "/contrats/?type",
    "/contrats/?tri",
    "/contrats/?page",
    "territory-code",
    "/territoires/code/59249/?type",
    "/territoires/fourmies-59249/?annee",
    "/tableau-de-bord/?annee",
    "/carte/?vue",
    "/carte/?indicateur",
    "/carte/?annee",
]


def public_params():
    for target in PUBLIC_TARGETS:
        for name, value in HOSTILE_VALUES.items():
            yield pytest.param(target, value, id=f"{target}-{name}")


@pytest.mark.parametrize(("target", "hostile"), list(public_params()))
def test_public_query_strings_never_fail(client, db, target, hostile):
    response = client.get(public_url(target, hostile))

    # 400: a NUL character is refused for the whole request (RejectNulMiddleware).
    assert response.status_code in (200, 302, 400, 404)
    if response.status_code == 400:
        assert "\x00" in hostile
        assert "Caractère nul refusé" in response.content.decode()
    if response.status_code == 200:
        assert_escaped(response, hostile)


# --- Spreadsheet import -----------------------------------------------------------------

VALID_ROW = ["59249", "cae_2.a", "2018", "950", "GWh", "Observatoire", "RAS", ""]


def csv_upload(rows) -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";").writerows([COLUMNS, *rows])
    return SimpleUploadedFile("valeurs.csv", buffer.getvalue().encode(), "text/csv")


def xlsx_upload(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in [COLUMNS, *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("valeurs.xlsx", buffer.getvalue())


def cell_as_read(hostile: str, fmt: str) -> str:
    """The text the import reads back: stripped; an XLSX cell holds 32 767 characters
    and, being XML, turns CR LF into LF."""
    if fmt == "xlsx":
        hostile = hostile[:32767].replace("\r\n", "\n")
    return hostile.strip()


def import_messages(response) -> list[str]:
    result = response.context["result"]
    file_errors = response.context["form"].errors.get("file", [])
    return [message for _line, message in (result.errors if result else [])] + list(file_errors)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("hostile", HOSTILE)
def test_import_refuses_in_french_or_stores_and_escapes(
    officer_client, officer, staff, staff_client, contract, hostile, fmt
):
    if fmt == "xlsx" and ILLEGAL_CHARACTERS_RE.search(hostile):
        pytest.skip("un classeur XLSX ne peut pas contenir ce caractère (le CSV le porte)")
    url = reverse("officer:import")
    form_url = reverse("officer:report", args=[contract.pk, 2018])

    for column, name in enumerate(COLUMNS):
        row = list(VALID_ROW)
        row[column] = hostile
        before = db_state()
        upload = csv_upload([row]) if fmt == "csv" else xlsx_upload([row])

        response = officer_client.post(url, {"file": upload})

        assert response.status_code in (200, 302), (name, response.status_code)
        if response.status_code == 200:
            assert "Aucune valeur n'a été enregistrée" in response.content.decode(), name
            assert_french(import_messages(response), cell_as_read(hostile, fmt))
            assert_escaped(response, hostile)
            assert db_state() == before, name
            assert not (name == "valeur" and hostile in ZEROS), "0 est une valeur valide"
            continue
        assert name in ("valeur", "source", "commentaire", "justification"), (
            f"{name} accepté : {hostile[:40]!r}"
        )
        stored = IndicatorValue.objects.get(
            report__contract=contract, year=2018, indicator__identifier="cae_2.a"
        )
        text = cell_as_read(hostile, fmt)
        if name == "valeur":
            assert hostile not in NOT_FINITE
            assert stored.value == Decimal(text)
        else:
            field = {"source": "source", "commentaire": "comment"}.get(name, name)
            assert getattr(stored, field) == text
            assert_escaped(officer_client.get(form_url), hostile, shown=text)
            report = services.submit_report(stored.report, officer)
            review = staff_client.get(reverse("staff_report", args=[report.pk]))
            assert_escaped(review, hostile, shown=text)
            services.reject_report(report, staff, "Retour en brouillon pour la suite.")


def test_a_comment_imported_from_a_spreadsheet_can_be_saved_again_in_the_form(
    officer_client, contract
):
    row = [*VALID_ROW[:6], "Commentaire très détaillé. " * 100]  # 2 700 characters
    response = officer_client.post(reverse("officer:import"), {"file": csv_upload([row])})
    report = ProgressReport.objects.filter(contract=contract, year=2018).first()
    if response.status_code == 200:  # refused at import, in French: consistent
        assert_french(import_messages(response), "")
        return
    key = indicator("cae_2.a").pk
    form_url = reverse("officer:report", args=[contract.pk, 2018])
    shown = officer_client.get(form_url).context["form"].fields[f"commentaire-{key}"].initial

    # The officer saves the draft as displayed, without touching anything.
    response = officer_client.post(form_url, form_data(report, commentaire=shown))

    assert response.status_code == 302, form_messages(response)


@pytest.mark.parametrize("year", ["0", "-0", "0000"])
def test_a_year_zero_in_the_import_is_a_french_row_error(officer_client, contract, year):
    row = [*VALID_ROW[:2], year, *VALID_ROW[3:]]
    before = db_state()

    response = officer_client.post(reverse("officer:import"), {"file": csv_upload([row])})

    assert response.status_code == 200
    assert [line for line, _message in response.context["result"].errors] == [2]
    assert_french(import_messages(response), year)
    assert db_state() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_year_of_5000_digits_in_the_import_is_a_french_row_error(officer_client, contract, fmt):
    row = [*VALID_ROW[:2], "9" * 5000, *VALID_ROW[3:]]
    upload = csv_upload([row]) if fmt == "csv" else xlsx_upload([row])

    response = officer_client.post(reverse("officer:import"), {"file": upload})

    assert response.status_code == 200
    assert_french(import_messages(response), "9" * 5000)


def test_a_huge_csv_cell_gets_a_french_message(officer_client, contract):
    row = [*VALID_ROW[:6], "A" * 200_000]

    response = officer_client.post(reverse("officer:import"), {"file": csv_upload([row])})

    if response.status_code == 200:
        assert_french(import_messages(response), "A" * 200_000)


# Hostile files as a whole: each is refused in French on the import page, nothing saved.


def raw_upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def raw_csv(*lines: str) -> SimpleUploadedFile:
    return raw_upload("valeurs.csv", "\n".join([";".join(COLUMNS), *lines]) + "\n")


def hostile_sheet(rows, **options) -> SimpleUploadedFile:
    xml = sheet_xml([row_xml(1, COLUMNS), *rows], **options)
    return raw_upload("valeurs.xlsx", xlsx_with_sheet(xml))


def damaged_deflate() -> SimpleUploadedFile:
    """The sheet's compressed bytes overwritten in the middle."""
    content = bytearray(xlsx_with_sheet(sheet_xml([row_xml(1, COLUMNS), row_xml(2, VALID_ROW)])))
    start = content.index(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    content[start + 20 : start + 60] = b"\xff" * 40
    return raw_upload("valeurs.xlsx", bytes(content))


LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY a "hahahahaha">'
    + "".join(
        f'<!ENTITY {b} "{f"&{a};" * 10}">' for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)
ENTITY_CELL = '<row r="2"><c r="A2" t="inlineStr"><is><t>&i;</t></is></c></row>'
HOSTILE_FILES = {
    "csv-unclosed-quote": lambda: raw_csv(
        '200033579;cae_2.a;2026;5;GWh;"OREC;', ";".join(VALID_ROW), ";".join(VALID_ROW)
    ),
    "csv-megabyte-of-blank-lines": lambda: raw_csv(";".join(VALID_ROW), "\n" * 1_000_000),
    "csv-twenty-thousand-and-one-rows": lambda: csv_upload([VALID_ROW] * 20_001),
    "xlsx-half-a-million-rows-in-76kb": lambda: hostile_sheet(
        ["<row><c><v>1</v></c></row>" * 500_000]
    ),
    "xlsx-row-a-million-lines-down": lambda: hostile_sheet([row_xml(1_048_576, VALID_ROW)]),
    "xlsx-a-row-of-2000-cells": lambda: hostile_sheet(
        [f'<row r="2">{"<c><v>1</v></c>" * 2000}</row>']
    ),
    "xlsx-over-50mb-unpacked": lambda: hostile_sheet([" " * (50 * 1024 * 1024)]),
    "xlsx-truncated-sheet": lambda: raw_upload(
        "valeurs.xlsx",
        xlsx_with_sheet(
            sheet_xml([row_xml(1, COLUMNS), row_xml(2, VALID_ROW)], dimension="A1:G2")[:-30]
        ),
    ),
    "xlsx-billion-laughs": lambda: hostile_sheet([ENTITY_CELL], dimension="A1:G2", prolog=LAUGHS),
    "xlsx-external-entity": lambda: hostile_sheet(
        [ENTITY_CELL],
        dimension="A1:G2",
        prolog='<!DOCTYPE worksheet [<!ENTITY i SYSTEM "file:///etc/passwd">]>',
    ),
    "xlsx-number-cell-not-a-number": lambda: hostile_sheet(
        ['<row r="2"><c r="A2" t="n"><v>NaN-ish</v></c></row>'], dimension="A1:G2"
    ),
    "xlsx-damaged-deflate": damaged_deflate,
}


@pytest.mark.parametrize("build", [pytest.param(b, id=n) for n, b in HOSTILE_FILES.items()])
def test_a_hostile_spreadsheet_is_refused_in_french_and_saves_nothing(
    officer_client, contract, build
):
    before = db_state()

    response = officer_client.post(reverse("officer:import"), {"file": build()})

    assert response.status_code == 200
    assert "Aucune valeur n'a été enregistrée" in response.content.decode()
    messages = import_messages(response)
    assert_french(messages, "")
    assert response.context["form"].errors["file"], messages  # the file as a whole
    assert db_state() == before
