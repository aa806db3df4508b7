"""The staff admin of contracts, targets and progress reports, on top of the demo data
(the six contracts of 24 October 2017 and the region's 2050 goals).

Pages are used as an agent of the Région uses them: the demo account ``agent.region``
(staff, group « Agents Région / ADEME »)."""

import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contracts import services
from contracts.models import (
    Contract,
    ContractStatus,
    ContractTheme,
    ProgressReport,
    ReportStatus,
    Target,
    TargetEntry,
)
from indicators.models import Indicator, IndicatorValue, ValueStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import signable
from tri_portal.demo_contracts import later_references

CONTRACTS = reverse("admin:contracts_contract_changelist")
ADD_CONTRACT = reverse("admin:contracts_contract_add")
TARGETS = reverse("admin:contracts_target_changelist")
REPORTS = reverse("admin:contracts_progressreport_changelist")

SIX_CONTRACTS = {
    "COTRI-2017-ARRAS",
    "COTRI-2017-ARC",
    "COTRI-2017-SAMBRE-AVESNOIS",
    "COTRI-2017-FOURMIES",
    "COTRI-2017-GRANDE-SYNTHE",
    "COTRI-2017-LENS-LIEVIN",
}
# The demo's contracts active on the day it is loaded (today), by key.
LATER = later_references(timezone.localdate())
FOURMIES = {"COTRI-2017-FOURMIES", LATER["FOURMIES"]}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module and rolled back after it; each test still
    runs in its own savepoint. (The conftest ``staff_client`` creates a user named
    ``agent.region`` too, so these tests log in as the demo's own agent instead.)"""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def agent(db, demo):
    return get_user_model().objects.get(username="agent.region")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def page_text(response) -> str:
    """The text of a page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def listed(response) -> set[str]:
    return {contract.reference for contract in response.context["cl"].result_list}


def form_data(response, **changes) -> dict:
    """What the browser sends back from an admin form: its current values (no inline
    rows, only the inlines' management forms), with ``changes``."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): management[name].value() for name in management.fields}
        )
    data.update(changes)
    return {name: "" if value is None else value for name, value in data.items()}


def target(reference, identifier) -> Target:
    return Target.objects.get(contract__reference=reference, indicator__identifier=identifier)


def draft_copy(signed: Target) -> Target:
    """The same target on a draft contract: a signed contract's targets are read-only
    (they change by amendment), a draft's are edited in the admin."""
    return Target.objects.create(
        contract=draft_contract(f"COTRI-BROUILLON-{signed.pk}"),
        **{
            name: getattr(signed, name)
            for name in (
                "indicator",
                "baseline_year",
                "baseline_value",
                "target_year",
                "target_value",
                "entered_as",
                "relative_change",
            )
        },
    )


def draft_contract(reference="COTRI-2026-ESSAI", **fields) -> Contract:
    fields = {
        "territory": Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249"),
        "title": "Contrat d'essai",
        "start_date": date(2026, 1, 1),
        "end_date": date(2028, 12, 31),
        **fields,
    }
    return Contract.objects.create(reference=reference, **fields)


# --- Contract list -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"q": "Fourmies"}, FOURMIES, id="territory name"),
        pytest.param(
            {"q": "Sambre-Avesnois"},
            {"COTRI-2017-SAMBRE-AVESNOIS", LATER["SAMBRE-AVESNOIS"]},
            id="syndicat name",
        ),
        pytest.param({"q": "59249"}, FOURMIES, id="INSEE code of Fourmies"),
        pytest.param({"q": "215902495"}, FOURMIES, id="SIREN of Fourmies"),
        pytest.param(
            {"q": "246200364"},
            {"COTRI-2017-LENS-LIEVIN", LATER["LENS-LIEVIN"]},
            id="SIREN of Lens-Liévin",
        ),
        pytest.param({"q": "COTRI-2017-ARC"}, {"COTRI-2017-ARC"}, id="reference"),
        pytest.param({"q": "5924"}, set(), id="codes match exactly, not by prefix"),
    ],
)
def test_contract_list_searches_by_territory_code_and_reference(agent_client, query, expected):
    response = agent_client.get(CONTRACTS, query)

    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"status__exact": "completed"}, SIX_CONTRACTS, id="completed"),
        pytest.param({"status__exact": "active"}, set(LATER.values()), id="active"),
        pytest.param({"status__exact": "draft"}, set(), id="draft"),
        # CU d'Arras is in the Pas-de-Calais too.
        pytest.param(
            {"departement": "62"},
            {"COTRI-2017-ARRAS", "COTRI-2017-LENS-LIEVIN", LATER["ARRAS"], LATER["LENS-LIEVIN"]},
            id="Pas-de-Calais",
        ),
        pytest.param(
            {"departement": "59"},
            {
                "COTRI-2017-FOURMIES",
                "COTRI-2017-GRANDE-SYNTHE",
                "COTRI-2017-SAMBRE-AVESNOIS",
                *(LATER[key] for key in ("FOURMIES", "SAMBRE-AVESNOIS", "DOUAISIS")),
            },
            id="Nord, with the SCoT of its member EPCIs",
        ),
        pytest.param({"departement": "60"}, {"COTRI-2017-ARC", LATER["BEAUVAISIS"]}, id="Oise"),
        pytest.param({"departement": "80"}, set(), id="Somme"),
        pytest.param({"signe_en": "2017"}, SIX_CONTRACTS, id="signed in 2017"),
    ],
)
def test_contract_list_filters(agent_client, query, expected):
    response = agent_client.get(CONTRACTS, query)

    assert response.status_code == 200
    assert listed(response) == expected


@pytest.mark.parametrize(
    ("theme", "expected"),
    [
        ("adaptation", {"COTRI-2017-SAMBRE-AVESNOIS", LATER["SAMBRE-AVESNOIS"]}),
        (
            "eclairage-public",
            {
                "COTRI-2017-ARC",
                "COTRI-2017-GRANDE-SYNTHE",
                LATER["FOURMIES"],
                LATER["BEAUVAISIS"],
            },
        ),
        ("circuits-courts", {"COTRI-2017-FOURMIES"}),
        ("economie-circulaire", set()),
    ],
)
def test_contract_list_filters_by_theme(agent_client, theme, expected):
    theme_id = ContractTheme.objects.get(slug=theme).pk

    response = agent_client.get(CONTRACTS, {"themes__id__exact": theme_id})

    assert listed(response) == expected


def test_contract_list_offers_the_signing_years_as_filters(agent_client):
    response = agent_client.get(CONTRACTS)

    assert '<a href="?signe_en=2017">2017</a>' in response.content.decode()
    assert "?signe_en=2012" not in response.content.decode()  # the 2050 goals are no contract
    assert "?signe_en=2018" not in response.content.decode()


def test_an_invalid_signing_year_in_the_address_does_not_break_the_list(agent_client):
    agent_client.raise_request_exception = False

    response = agent_client.get(CONTRACTS, {"signe_en": "deux-mille-dix-sept"})

    assert response.status_code in (200, 302)


@pytest.mark.parametrize("rows", [1, 50])
def test_contract_list_query_count_does_not_grow_with_rows(
    agent_client, django_assert_max_num_queries, rows
):
    themes = ContractTheme.objects.all()[:3]
    for n in range(max(rows - Contract.objects.count(), 0)):
        draft_contract(f"COTRI-2026-{n:02d}").themes.set(themes)
    query = {"q": "COTRI-2017-ARC"} if rows == 1 else {}

    with django_assert_max_num_queries(12):
        response = agent_client.get(CONTRACTS, query)

    assert response.context["cl"].result_count == rows


# --- Contract change page: targets with their progress -------------------------------


def target_rows(response) -> dict[str, tuple[str, str]]:
    """{indicator identifier: (achievement, trajectory)} as shown in the targets inline."""
    rows = {}
    content = response.content.decode()
    for row in re.findall(
        r'<tr class="form-row has_original"\s+id="targets-\d+">(.*?)</tr>', content, re.S
    ):
        identifier = re.search(r'<td class="original">\s*<p>\s*(\S+) :', row).group(1)
        achievement = re.search(r'field-achievement_column">\s*<p>(.*?)</p>', row, re.S).group(1)
        status = re.search(r'field-status_column">\s*<p>(.*?)</p>', row, re.S).group(1)
        rows[identifier] = (html.unescape(achievement).strip(), status.strip())
    return rows


def test_contract_page_shows_each_target_achievement_and_trajectory(agent_client):
    fourmies = Contract.objects.get(reference="COTRI-2017-FOURMIES")

    response = agent_client.get(reverse("admin:contracts_contract_change", args=[fourmies.pk]))

    assert response.status_code == 200
    rows = target_rows(response)
    assert set(rows) == {
        "cae_1.a",
        "cae_2.a",
        "cae_3.a",
        "cae_3.b",
        "tri_eclairage_public_conso",
        "tri_surface_bat_publics_renovee",
    }
    # Energy: 251.9 GWh in 2015, 231.748 expected in 2020, 227.7 reached:
    # (227.7 − 251.9) / (231.748 − 251.9) = 1.2009 → 120 %, better than the trajectory.
    assert rows["cae_2.a"] == ("120 %", "dans la trajectoire")
    # Public lighting: 1 100 MWh in 2015, 660 expected in 2020, 690 reached:
    # (690 − 1 100) / (660 − 1 100) = 0.9318 → 93 %, behind the trajectory.
    assert rows["tri_eclairage_public_conso"] == ("93 %", "en retard")


def test_achievement_is_rounded_to_the_nearest_percent(agent_client):
    fourmies = Contract.objects.get(reference="COTRI-2017-FOURMIES")

    response = agent_client.get(reverse("admin:contracts_contract_change", args=[fourmies.pk]))

    # Emissions: 59.5 kteq in 2015, 53.55 expected in 2020, 52.5 reached:
    # (52.5 − 59.5) / (53.55 − 59.5) = 1.17647 → 118 %.
    assert target_rows(response)["cae_1.a"][0] == "118 %"


# --- Target admin ----------------------------------------------------------------------


def edit_target(client, target_to_edit, **changes):
    url = reverse("admin:contracts_target_change", args=[target_to_edit.pk])
    return client.post(url, form_data(client.get(url), **changes))


def test_an_agent_edits_a_target_and_its_history_shows_the_change(agent_client):
    energy = draft_copy(target("COTRI-2017-FOURMIES", "cae_2.a"))

    response = edit_target(agent_client, energy, target_value="226.71", comment="Objectif relevé")

    assert response.status_code == 302
    energy.refresh_from_db()
    assert energy.target_value == Decimal("226.71")
    assert energy.entered_as == TargetEntry.ABSOLUTE
    history = agent_client.get(reverse("admin:contracts_target_history", args=[energy.pk]))
    assert history.status_code == 200
    assert "Valeur cible: 231.748000 → 226.710000" in page_text(history)
    assert "Commentaire: → Objectif relevé" in page_text(history)
    assert "Modifié agent.region" in page_text(history)


BASELINE = Decimal("251.9")  # Fourmies, final energy consumption in 2015 (GWh)
RELATIVE_TARGETS = [
    pytest.param("−50 %", BASELINE * Decimal("0.5"), TargetEntry.PERCENT, -50, id="−50 %"),
    pytest.param("+30 %", BASELINE * Decimal("1.3"), TargetEntry.PERCENT, 30, id="+30 %"),
    pytest.param("÷4", BASELINE / 4, TargetEntry.DIVIDE, 4, id="÷4"),
    pytest.param("/2", BASELINE / 2, TargetEntry.DIVIDE, 2, id="/2"),
]


@pytest.mark.parametrize(("relative", "expected", "entered_as", "change"), RELATIVE_TARGETS)
def test_a_new_relative_target_is_stored_as_an_absolute_value(
    agent_client, relative, expected, entered_as, change
):
    url = reverse("admin:contracts_target_add")
    fields = {
        "contract": draft_contract().pk,
        "indicator": Indicator.objects.get(identifier="cae_2.a").pk,
        "baseline_year": 2015,
        "baseline_value": "251.9",
        "target_year": 2028,
        "relative_change_text": relative,
    }

    response = agent_client.post(url, form_data(agent_client.get(url), **fields))

    assert response.status_code == 302
    created = Target.objects.get(contract__reference="COTRI-2026-ESSAI")
    assert (created.target_value, created.entered_as, created.relative_change) == (
        expected,
        entered_as,
        change,
    )


@pytest.mark.parametrize(
    ("relative", "expected", "entered_as", "change"),
    [
        pytest.param(
            "−50 %",
            BASELINE * Decimal("0.5"),
            TargetEntry.PERCENT,
            -50,
            id="−50 %",
        ),
        pytest.param(
            "+30 %",
            BASELINE * Decimal("1.3"),
            TargetEntry.PERCENT,
            30,
            id="+30 %",
        ),
        pytest.param("÷4", BASELINE / 4, TargetEntry.DIVIDE, 4, id="÷4"),
        pytest.param("/2", BASELINE / 2, TargetEntry.DIVIDE, 2, id="/2"),
    ],
)
def test_a_target_changed_to_a_relative_goal_is_stored_as_an_absolute_value(
    agent_client, relative, expected, entered_as, change
):
    energy = draft_copy(target("COTRI-2017-FOURMIES", "cae_2.a"))

    response = edit_target(agent_client, energy, relative_change_text=relative)

    assert response.status_code == 302
    energy.refresh_from_db()
    assert (energy.target_value, energy.entered_as, energy.relative_change) == (
        expected,
        entered_as,
        change,
    )


def test_a_target_divided_by_three_is_stored_rounded(agent_client):
    energy = draft_copy(target("COTRI-2017-FOURMIES", "cae_2.a"))

    response = edit_target(agent_client, energy, baseline_value="251.9", relative_change_text="÷3")

    assert response.status_code == 302
    energy.refresh_from_db()
    assert abs(energy.target_value - BASELINE / 3) < Decimal("0.001")
    assert energy.entered_as == TargetEntry.DIVIDE


def test_a_relative_target_on_a_zero_baseline_is_refused_in_french(agent_client):
    dwellings = draft_copy(
        target("COTRI-2017-ARRAS", "tri_logements_renoves")
    )  # 0 dwellings in 2015

    response = edit_target(agent_client, dwellings, relative_change_text="−50 %")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["relative_change_text"]
    assert any("valeur de référence nulle" in error for error in errors)
    assert "valeur de référence nulle" in page_text(response)
    dwellings.refresh_from_db()
    assert (dwellings.target_value, dwellings.entered_as) == (900, TargetEntry.ABSOLUTE)


def test_an_unreadable_relative_target_is_refused_in_french(agent_client):
    energy = draft_copy(target("COTRI-2017-FOURMIES", "cae_2.a"))

    response = edit_target(agent_client, energy, relative_change_text="moins soixante")

    assert response.status_code == 200
    assert "Évolution relative illisible" in page_text(response)
    energy.refresh_from_db()
    assert energy.target_value == Decimal("231.748")


def test_editing_only_the_comment_keeps_how_the_target_was_entered(agent_client):
    energy = draft_copy(target("COTRI-2017-ARRAS", "cae_2.a"))  # entered as −8 %

    response = edit_target(agent_client, energy, comment="Objectif du plan climat")

    assert response.status_code == 302
    energy.refresh_from_db()
    assert energy.comment == "Objectif du plan climat"
    assert (energy.entered_as, energy.relative_change) == (TargetEntry.PERCENT, -8)


@pytest.mark.parametrize(
    "rows",
    [
        1,
        50,
    ],
)
def test_target_list_query_count_does_not_grow_with_rows(
    agent_client, django_assert_max_num_queries, rows
):
    extra = draft_contract()
    energy = Indicator.objects.get(identifier="cae_2.a")
    missing = 50 - Target.objects.count()  # the demo's targets and these: 50 rows
    Target.objects.bulk_create(
        Target(
            contract=extra,
            indicator=energy,
            baseline_year=2015,
            baseline_value=100,
            target_year=2021 + n,
            target_value=90,
        )
        for n in range(missing)
    )
    query = {"q": "COTRI-2017-ARC tri_points_recharge_ve"} if rows == 1 else {}

    with django_assert_max_num_queries(15):
        response = agent_client.get(TARGETS, query)

    assert response.context["cl"].result_count == (1 if rows == 1 else Target.objects.count())
    assert response.context["cl"].result_count >= rows


# --- Contract actions ------------------------------------------------------------------


def run_action(client, changelist, action, objects, **extra):
    return client.post(
        changelist,
        {"action": action, "_selected_action": [o.pk for o in objects], **extra},
        follow=True,
    )


SIGN = {"apply": "Signer", "signed_on": "2025-12-15"}


def test_signing_from_the_list_asks_the_date_actually_signed(agent_client, agent):
    draft = signable(draft_contract())

    asked = run_action(agent_client, CONTRACTS, "sign", [draft])
    response = run_action(agent_client, CONTRACTS, "sign", [draft], **SIGN)

    assert "Date de signature" in page_text(asked)
    draft.refresh_from_db()
    assert draft.status == ContractStatus.SIGNED
    assert draft.signed_on == date(2025, 12, 15)
    assert draft.status_changed_by == agent
    assert "1 contrat(s) signé(s)." in page_text(response)


def test_signing_from_the_list_in_the_future_is_refused(agent_client):
    draft = signable(draft_contract())

    response = run_action(
        agent_client, CONTRACTS, "sign", [draft], apply="Signer", signed_on="2099-01-01"
    )

    assert "ne peut pas être future" in page_text(response)
    draft.refresh_from_db()
    assert draft.status == ContractStatus.DRAFT


def test_terminating_from_the_list_asks_a_reason_and_a_date(agent_client):
    draft = signable(draft_contract())
    run_action(agent_client, CONTRACTS, "sign", [draft], **SIGN)

    run_action(
        agent_client,
        CONTRACTS,
        "terminate",
        [draft],
        apply="Résilier",
        reason="Dissolution",
        terminated_on="2026-02-01",
    )

    draft.refresh_from_db()
    assert (draft.status, draft.terminated_on) == (ContractStatus.TERMINATED, date(2026, 2, 1))


@pytest.mark.parametrize(("action", "new_status"), [("activate", "en cours")])
def test_a_draft_contract_cannot_skip_its_signature(agent_client, action, new_status):
    draft = draft_contract()

    response = run_action(agent_client, CONTRACTS, action, [draft])

    assert f"Passage impossible de « en préparation » à « {new_status} »" in page_text(response)
    draft.refresh_from_db()
    assert (draft.status, draft.signed_on, draft.status_changed_at) == (
        ContractStatus.DRAFT,
        None,
        None,
    )


def test_signing_a_completed_contract_again_changes_nothing(agent_client):
    fourmies = Contract.objects.get(reference="COTRI-2017-FOURMIES")

    response = run_action(agent_client, CONTRACTS, "sign", [fourmies], **SIGN)

    assert "Passage impossible de « achevé » à « signé »" in page_text(response)
    fourmies.refresh_from_db()
    assert (fourmies.status, fourmies.signed_on) == (ContractStatus.COMPLETED, date(2017, 10, 24))


def test_an_action_on_several_contracts_applies_to_those_it_can(agent_client):
    draft = signable(draft_contract())
    fourmies = Contract.objects.get(reference="COTRI-2017-FOURMIES")

    response = run_action(agent_client, CONTRACTS, "sign", [draft, fourmies], **SIGN)

    text = page_text(response)
    assert "1 contrat(s) signé(s)." in text
    assert "COTRI-2017-FOURMIES — Fourmies : Passage impossible" in text
    assert Contract.objects.get(pk=draft.pk).status == ContractStatus.SIGNED


# --- Creating a contract ---------------------------------------------------------------


def new_contract(client, **fields):
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    fields = {
        "territory": fourmies.pk,
        "reference": "COTRI-2026-FOURMIES",
        "title": "Deuxième contrat d'objectifs TRI de Fourmies",
        "themes": [ContractTheme.objects.get(slug="batiment").pk],
        "start_date": "2026-01-01",
        **fields,
    }
    return client.post(ADD_CONTRACT, form_data(client.get(ADD_CONTRACT), **fields))


@pytest.mark.parametrize("end_date", ["2027-12-31", "2029-06-30"], ids=["two years", "3½ years"])
def test_a_contract_that_does_not_last_three_years_needs_a_reason(agent_client, end_date):
    response = new_contract(agent_client, end_date=end_date)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["duration_override_reason"]
    assert any("dure trois ans (du 01/01/2026 au 31/12/2028)" in error for error in errors)
    assert "indiquez le motif d'une autre durée" in page_text(response)
    assert not Contract.objects.filter(reference="COTRI-2026-FOURMIES").exists()


@pytest.mark.parametrize("end_date", ["2028-12-31", "2029-01-01"])
def test_a_three_year_contract_is_created_as_a_draft(agent_client, end_date):
    response = new_contract(agent_client, end_date=end_date)

    assert response.status_code == 302
    created = Contract.objects.get(reference="COTRI-2026-FOURMIES")
    assert created.status == ContractStatus.DRAFT
    assert created.end_date == date.fromisoformat(end_date)
    assert list(created.themes.values_list("slug", flat=True)) == ["batiment"]


def test_a_contract_of_another_duration_is_created_with_its_reason(agent_client):
    response = new_contract(
        agent_client,
        end_date="2027-12-31",
        duration_override_reason="Fin alignée sur celle du mandat",
    )

    assert response.status_code == 302
    created = Contract.objects.get(reference="COTRI-2026-FOURMIES")
    assert created.duration_override_reason == "Fin alignée sur celle du mandat"
    assert created.end_date == date(2027, 12, 31)


# --- Progress reports ------------------------------------------------------------------


@pytest.fixture
def submitted_report(agent):
    """Fourmies' 2022 report on a contract of 2021, submitted with one energy value."""
    contract = draft_contract(
        "COTRI-2021-FOURMIES", start_date=date(2021, 1, 1), end_date=date(2023, 12, 31)
    )
    services.sign_contract(signable(contract), agent, signed_on=date(2021, 1, 1))
    referent = get_user_model().objects.get(username="referent.fourmies")
    report = services.open_report(contract, 2022, referent)
    services.save_report_values(
        report,
        [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "187", "ORECA")],
        referent,
    )
    return services.submit_report(report, referent)


@pytest.mark.parametrize(
    "extra",
    [{}, {"apply": "1", "reason": "   "}],
    ids=["first click", "blank reason"],
)
def test_rejecting_a_report_asks_for_the_reason_first(agent_client, submitted_report, extra):
    response = run_action(agent_client, REPORTS, "reject", [submitted_report], **extra)

    assert response.status_code == 200
    assert "Motif du rejet" in page_text(response)
    assert "COTRI-2021-FOURMIES — 2022" in page_text(response)
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.SUBMITTED


def test_a_report_rejected_with_a_reason_goes_back_to_the_referent(
    agent_client, submitted_report, agent
):
    response = run_action(
        agent_client,
        REPORTS,
        "reject",
        [submitted_report],
        apply="1",
        reason="La consommation 2022 ne correspond pas au bilan de l'observatoire.",
    )

    assert "1 rapport(s) rejeté(s)." in page_text(response)
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.REJECTED
    assert submitted_report.rejection_reason == (
        "La consommation 2022 ne correspond pas au bilan de l'observatoire."
    )
    assert submitted_report.reviewed_by == agent
    assert set(submitted_report.values.values_list("status", flat=True)) == {ValueStatus.REJECTED}


def test_validating_a_report_publishes_its_values(agent_client, submitted_report, agent):
    response = run_action(agent_client, REPORTS, "validate", [submitted_report])

    assert "1 rapport(s) validé(s)." in page_text(response)
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.VALIDATED
    published = IndicatorValue.objects.validated().get(
        territory__kind=TerritoryKind.COMMUNE,
        territory__code="59249",
        indicator__identifier="cae_2.a",
        year=2022,
    )
    assert (published.value, published.validated_by, published.report) == (
        187,
        agent,
        submitted_report,
    )


def test_the_agent_who_entered_a_report_cannot_validate_it_in_the_admin(
    agent_client, submitted_report, agent
):
    services.withdraw_report(submitted_report, submitted_report.submitted_by)
    services.save_report_values(
        submitted_report,
        [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "188", "ORECA")],
        agent,
    )
    services.submit_report(submitted_report, agent)

    response = run_action(agent_client, REPORTS, "validate", [submitted_report])

    assert "un autre agent doit le valider (principe des quatre yeux)" in page_text(response)
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.SUBMITTED


def test_a_validated_report_cannot_be_validated_again(agent_client):
    validated = ProgressReport.objects.get(contract__reference="COTRI-2017-FOURMIES", year=2020)

    response = run_action(agent_client, REPORTS, "validate", [validated])

    text = page_text(response)
    assert "Passage impossible de « validé » à « validé »" in text
    assert "rapport(s) validé(s)" not in text
    validated.refresh_from_db()
    assert validated.status == ReportStatus.VALIDATED
    assert set(validated.values.values_list("status", flat=True)) == {ValueStatus.VALIDATED}


# --- Language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        (CONTRACTS, "Sélectionnez l’objet contrat à changer"),
        (ADD_CONTRACT, "Ajout de contrat"),
        (TARGETS, "Sélectionnez l’objet objectif chiffré à changer"),
        (REPORTS, "Sélectionnez l’objet rapport d'avancement à changer"),
    ],
)
def test_admin_pages_are_in_french(agent_client, url, heading):
    response = agent_client.get(url)

    text = page_text(response)
    assert '<html lang="fr"' in response.content.decode()
    assert heading in text
    assert "Administration du portail TRI" in text


def test_contract_list_speaks_french(agent_client):
    text = page_text(agent_client.get(CONTRACTS))

    assert "Contrats" in text
    for label in [
        "Par statut",
        "Par département",
        "Par thématiques",
        "Par année de signature",
        "Signer les contrats sélectionnés (date de signature)",
        "Mettre en cours les contrats sélectionnés",
        "en préparation",
        "achevé",
    ]:
        assert label in text
