"""The annual report tells what was done: for each *fiche action* its status, progress,
money spent and a short narrative, plus an overall comment — filled in by the officer
(form, API, import), seen by the reviewer, public once the report is validated."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts import services
from contracts.models import ActionStatus, ActionUpdate, ProgressReport
from indicators.models import Indicator
from tests.contracts.factories import ActionFactory, ContractFactory, TargetFactory, signable


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def contract(staff, fourmies):
    contract = ContractFactory(territory=fourmies, reference="COTRI-FOURMIES")
    TargetFactory(contract=contract)  # cae_2.a
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=date(2017, 10, 24))
    return contract


@pytest.fixture
def lighting(contract):
    return ActionFactory(contract=contract, title="Rénovation de l'éclairage public")


@pytest.fixture
def bikes(contract):
    return ActionFactory(contract=contract, title="Pistes cyclables du centre")


def report_url(contract, year=2018):
    return reverse("officer:report", args=[contract.pk, year])


def value_field():
    return f"valeur-{Indicator.objects.get(identifier='cae_2.a').pk}"


def action_data(action, status="in_progress", progress="40", spent="12 500,50", narrative=""):
    prefix = f"action-{action.pk}-"
    return {
        prefix + "status": status,
        prefix + "progress": progress,
        prefix + "spent": spent,
        prefix + "narrative": narrative,
    }


# --- The officer fills them in the report form ---------------------------------------------


def test_officer_fills_action_updates_and_comment_in_the_report_form(
    client, officer, contract, lighting, bikes
):
    client.force_login(officer)
    page = client.get(report_url(contract))
    assert "Ce qui a été fait : les fiches action" in page_text(page)
    assert "Rénovation de l'éclairage public" in page_text(page)

    response = client.post(
        report_url(contract),
        {
            value_field(): "1 000",
            **action_data(lighting, narrative="120 points lumineux passés en LED."),
            **action_data(bikes, status="planned", progress="0", spent=""),
            "comment": "Une année de chantiers.",
            "save": "",
        },
    )

    assert response.status_code == 302
    report = ProgressReport.objects.get(contract=contract, year=2018)
    assert report.comment == "Une année de chantiers."
    updates = {u.action_id: u for u in report.action_updates.all()}
    assert (
        updates[lighting.pk].status,
        updates[lighting.pk].progress,
        updates[lighting.pk].spent,
        updates[lighting.pk].narrative,
    ) == ("in_progress", 40, Decimal("12500.50"), "120 points lumineux passés en LED.")
    assert (updates[bikes.pk].status, updates[bikes.pk].spent) == ("planned", None)
    assert updates[lighting.pk].history.latest().history_user == officer
    again = client.get(report_url(contract)).content.decode()
    assert "120 points lumineux passés en LED." in again
    assert 'value="12500,5"' in again


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("progress", "140", "L'avancement est un pourcentage entier de 0 à 100."),
        ("progress", "beaucoup", "L'avancement est un pourcentage entier de 0 à 100."),
        ("spent", "-5", "Les dépenses sont un montant en euros, positif ou nul."),
        ("spent", "cher", "Les dépenses sont un montant en euros, positif ou nul."),
        ("narrative", "x" * 1001, "1000 caractères au plus"),
    ],
)
def test_a_bad_action_update_is_refused_in_french_and_nothing_is_saved(
    client, officer, contract, lighting, field, value, message
):
    client.force_login(officer)

    response = client.post(
        report_url(contract),
        {value_field(): "1 000", **action_data(lighting, **{field: value}), "save": ""},
    )

    assert response.status_code == 400
    assert message in page_text(response).replace("\u202f", " ").replace("\xa0", " ")
    assert "rien n'a été enregistré" in page_text(response)
    assert not ProgressReport.objects.filter(contract=contract).exists()  # not even the values


def test_a_submitted_report_shows_its_updates_read_only(client, officer, contract, lighting):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report,
        [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "1000")],
        officer,
    )
    services.save_report_story(
        report, [services.ActionEntry(lighting, "done", 100, "80000", "Terminé.")], officer
    )
    services.submit_report(report, officer)
    client.force_login(officer)

    text = page_text(client.get(report_url(contract)))

    assert "réalisée · avancement 100 % · 80 000 € dépensés Terminé." in text
    assert (
        f'name="action-{lighting.pk}-status"'
        not in client.get(report_url(contract)).content.decode()
    )


# --- The service: editable only while the report is editable, history, one contract ---------


def test_updates_cannot_change_once_the_report_is_submitted(officer, contract, lighting):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "1")], officer
    )
    services.submit_report(report, officer)

    with pytest.raises(ValidationError) as refused:
        services.save_report_story(report, [services.ActionEntry(lighting, "done", 100)], officer)

    assert "il n'est plus modifiable" in refused.value.messages[0]
    assert not ActionUpdate.objects.exists()


def test_an_action_of_another_contract_is_refused(officer, contract, staff):
    other = ActionFactory(contract=ContractFactory(reference="COTRI-AUTRE"))
    report = services.open_report(contract, 2018, officer)

    with pytest.raises(ValidationError) as refused:
        services.save_report_story(report, [services.ActionEntry(other, "done", 100)], officer)

    assert refused.value.message_dict == {
        str(other.pk): ["Cette fiche action n'appartient pas au contrat du rapport."]
    }


def validated_report(contract, officer, staff, lighting, year=2018, status="done", comment=""):
    report = services.open_report(contract, year, officer)
    services.save_report_values(
        report,
        [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "990")],
        officer,
    )
    services.save_report_story(
        report,
        [services.ActionEntry(lighting, status, 100 if status == "done" else 50, "1500", "Fait.")],
        officer,
        comment=comment,
    )
    services.submit_report(report, officer)
    services.validate_report(report, staff)
    return report


def test_validation_gives_the_actions_their_reported_status(officer, staff, contract, lighting):
    validated_report(contract, officer, staff, lighting, status="done")

    lighting.refresh_from_db()
    assert lighting.status == ActionStatus.DONE
    assert lighting.history.latest().history_user == staff


def test_an_older_report_validated_late_does_not_turn_the_clock_back(
    officer, staff, contract, lighting
):
    validated_report(contract, officer, staff, lighting, year=2019, status="done")
    validated_report(contract, officer, staff, lighting, year=2018, status="in_progress")

    lighting.refresh_from_db()
    assert lighting.status == ActionStatus.DONE


# --- The reviewer sees them; the public sees the validated ones --------------------------


def test_the_reviewer_sees_the_updates_and_the_comment(staff_client, officer, contract, lighting):
    report = services.open_report(contract, 2018, officer)
    services.save_report_values(
        report, [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "1")], officer
    )
    services.save_report_story(
        report,
        [services.ActionEntry(lighting, "in_progress", 30, "2000", "Marché attribué.")],
        officer,
        comment="Retard d'un trimestre.",
    )
    services.submit_report(report, officer)

    text = page_text(staff_client.get(reverse("staff_report", args=[report.pk])))

    assert "Rénovation de l'éclairage public" in text
    assert "en cours · avancement 30 % · 2 000 € dépensés Marché attribué." in text
    assert "Commentaire général Retard d'un trimestre." in text


def test_the_public_page_shows_validated_updates_by_year_only(
    client, officer, staff, contract, lighting
):
    validated_report(contract, officer, staff, lighting, year=2018, comment="Bilan 2018.")
    draft = services.open_report(contract, 2019, officer)
    services.save_report_story(
        draft,
        [services.ActionEntry(lighting, "abandoned", 0, "", "Brouillon secret.")],
        officer,
        comment="Pas encore validé.",
    )

    text = page_text(client.get(reverse("contract", args=[contract.pk])))

    assert "Ce qui a été fait, année par année" in text
    assert "2018 Source : rapport d'avancement de la collectivité, validé le" in text
    assert "Bilan 2018." in text
    assert "réalisée · avancement 100 % · 1 500 € dépensés Fait." in text
    assert "Brouillon secret." not in text
    assert "Pas encore validé." not in text


# --- The spreadsheet import: an « Actions » sheet beside the values -------------------------


def workbook(values, actions, header=None):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from contracts.imports import ACTION_COLUMNS, COLUMNS

    book = Workbook()
    book.active.title = "Valeurs"
    for row in [COLUMNS, *values]:
        book.active.append(row)
    sheet = book.create_sheet("Actions")
    for row in [header or ACTION_COLUMNS, *actions]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("rapport.xlsx", buffer.getvalue())


VALUES = [["59249", "cae_2.a", 2018, "990", "GWh", "", ""]]


def test_officer_imports_action_updates_with_the_values(officer, contract, lighting, bikes):
    from contracts import imports

    result = imports.import_values(
        workbook(
            VALUES,
            [
                [
                    "COTRI-FOURMIES",
                    2018,
                    lighting.pk,
                    "Éclairage",
                    "en cours",
                    45,
                    "3 000,50",
                    "LED.",
                ],
                ["COTRI-FOURMIES", 2018, bikes.pk, "Pistes", "réalisée", 100, "", ""],
            ],
        ),
        officer,
    )

    assert result.errors == []
    assert (result.rows, result.actions) == (1, 2)
    assert result.warnings == []  # the Actions sheet is not "another sheet, ignored"
    report = ProgressReport.objects.get(contract=contract, year=2018)
    updates = {u.action_id: (u.status, u.progress, u.spent) for u in report.action_updates.all()}
    assert updates == {
        lighting.pk: ("in_progress", 45, Decimal("3000.50")),
        bikes.pk: ("done", 100, None),
    }


def test_a_bad_actions_line_is_reported_and_nothing_is_imported(officer, contract, lighting):
    from contracts import imports

    other = ActionFactory(contract=ContractFactory(reference="COTRI-AUTRE"))

    result = imports.import_values(
        workbook(
            VALUES,
            [
                ["COTRI-FOURMIES", 2018, lighting.pk, "", "en cours", 140, "", ""],
                ["COTRI-FOURMIES", 2018, other.pk, "", "en cours", 10, "", ""],
                ["COTRI-AUTRE", 2018, other.pk, "", "en cours", 10, "", ""],
            ],
        ),
        officer,
    )

    assert [message for _line, message in result.errors] == [
        "feuille « Actions », ligne 2 : L'avancement est un pourcentage entier de 0 à 100.",
        f"feuille « Actions », ligne 3 : fiche action « {other.pk} » inconnue pour ce contrat.",
        "feuille « Actions », ligne 4 : contrat « COTRI-AUTRE » inconnu ou hors de votre "
        "périmètre.",
    ]
    assert not ProgressReport.objects.filter(contract=contract).exists()  # values neither


def test_the_xlsx_template_has_an_actions_sheet_with_the_officers_actions(
    client, officer, contract, lighting
):
    import io

    from openpyxl import load_workbook

    client.force_login(officer)
    response = client.get(reverse("officer:import_template", args=["xlsx"]))

    sheet = load_workbook(io.BytesIO(response.content))["Actions"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "contrat",
        "annee",
        "fiche_action",
        "intitule",
        "etat",
        "avancement",
        "depenses",
        "recit",
    ]
    assert rows[1][:5] == ["COTRI-FOURMIES", rows[1][1], lighting.pk, lighting.title, "planned"]


def test_template_lines_left_as_they_came_are_ignored(officer, contract, lighting, bikes):
    from contracts import imports

    services.save_report_story(
        services.open_report(contract, 2018, officer),
        [services.ActionEntry(bikes, "in_progress", 20, "", "Étude faite.")],
        officer,
    )

    result = imports.import_values(
        workbook(
            VALUES,
            [
                ["COTRI-FOURMIES", 2018, lighting.pk, "Éclairage", "planned", "", "", ""],
                ["COTRI-FOURMIES", 2018, bikes.pk, "Pistes", "planned", "", "", ""],
            ],
        ),
        officer,
    )

    assert (result.errors, result.actions) == ([], 0)
    [update] = ActionUpdate.objects.all()
    assert (update.action, update.narrative) == (bikes, "Étude faite.")
