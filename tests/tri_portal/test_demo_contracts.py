"""The demo contracts loaded by ``manage.py load_demo``: the six TRI contracts signed on
24 October 2017, the region's own 2050 goals (not a contract), their yearly values and
the demo accounts (the later contracts, active on the day of loading:
test_demo_active_contracts.py).

Expected figures are written out here (not read back from ``tri_portal.demo_contracts``)
so that these tests say what the demo must contain."""

import html
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse

from contracts.models import (
    Action,
    Contract,
    ContractStatus,
    ProgressReport,
    Signatory,
    Target,
)
from indicators.models import IndicatorValue, RegionalGoal, TargetEntry, ValueStatus
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests import snapshots
from tests.factories import log_in

DEMO_SOURCE = "Données de démonstration (fictives)"
CORE_INDICATORS = {"cae_2.a", "cae_1.a", "cae_3.a", "cae_3.b"}


@dataclass(frozen=True)
class SignedContract:
    reference: str
    kind: str
    code: str  # SIREN of an EPCI or syndicat, INSEE code of a commune
    collectivity: str
    themes: frozenset[str]
    theme_indicators: frozenset[str]


SIGNED_ON_24_OCTOBER_2017 = [
    SignedContract(
        "COTRI-2017-ARRAS",
        TerritoryKind.EPCI,
        "200033579",
        "Communauté urbaine d'Arras",
        frozenset({"batiment"}),
        frozenset({"tri_logements_renoves", "tri_surface_bat_publics_renovee"}),
    ),
    SignedContract(
        "COTRI-2017-ARC",
        TerritoryKind.EPCI,
        "200067965",
        "Agglomération de la Région de Compiègne et de la Basse Automne",
        frozenset({"mobilite-decarbonee", "eclairage-public"}),
        frozenset({"tri_points_recharge_ve", "tri_eclairage_public_conso"}),
    ),
    SignedContract(
        "COTRI-2017-SAMBRE-AVESNOIS",
        TerritoryKind.SYNDICAT,
        "999000003",
        "Syndicat mixte du SCoT Sambre-Avesnois",
        frozenset({"batiment", "energies-renouvelables", "adaptation"}),
        frozenset({"tri_logements_renoves"}),
    ),
    SignedContract(
        "COTRI-2017-FOURMIES",
        TerritoryKind.COMMUNE,
        "59249",
        "Ville de Fourmies",
        frozenset({"energies-renouvelables", "numerique", "circuits-courts", "batiment"}),
        frozenset({"tri_surface_bat_publics_renovee", "tri_eclairage_public_conso"}),
    ),
    SignedContract(
        "COTRI-2017-GRANDE-SYNTHE",
        TerritoryKind.COMMUNE,
        "59271",
        "Ville de Grande-Synthe",
        frozenset({"transition-demonstrateur", "mobilite-decarbonee", "eclairage-public"}),
        frozenset({"tri_amenagements_cyclables", "tri_eclairage_public_conso"}),
    ),
    SignedContract(
        "COTRI-2017-LENS-LIEVIN",
        TerritoryKind.EPCI,
        "246200364",
        "Communauté d'agglomération de Lens-Liévin",
        frozenset({"batiment", "mobilite-decarbonee", "energies-renouvelables"}),
        frozenset(
            {"tri_logements_renoves", "tri_points_recharge_ve", "tri_amenagements_cyclables"}
        ),
    ),
]
signed_contracts = pytest.mark.parametrize(
    "expected", SIGNED_ON_24_OCTOBER_2017, ids=lambda c: c.reference
)
DEMO_TERRITORIES = [(c.kind, c.code) for c in SIGNED_ON_24_OCTOBER_2017] + [
    (TerritoryKind.REGION, "32")
]

# The accounts of the README: login -> (password, staff, territory an officer reports for)
DEMO_ACCOUNTS = {
    "agent.region": ("demo-region-2026", True, None),
    "agent.ademe": ("demo-ademe-2026", True, None),
    "referent.arras": ("demo-referent-2026", False, (TerritoryKind.EPCI, "200033579")),
    "referent.fourmies": ("demo-referent-2026", False, (TerritoryKind.COMMUNE, "59249")),
    "referent.lens": ("demo-referent-2026", False, (TerritoryKind.EPCI, "246200364")),
    "referent.sambre": ("demo-referent-2026", False, (TerritoryKind.SYNDICAT, "999000003")),
    "referent.douaisis": ("demo-referent-2026", False, (TerritoryKind.EPCI, "200044618")),
    "referent.beauvaisis": ("demo-referent-2026", False, (TerritoryKind.EPCI, "200067999")),
}
# Contracts active on the day of loading: four renewals and two new signatories.
LATER_CONTRACTS = 6


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


DEMO_IN_DEBUG = "demo_in_debug"


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once per test class (in DEBUG, so the accounts get their
    documented passwords) and rolled back after the class; each test still runs in
    its own savepoint. On PostgreSQL the first class keeps the result as a snapshot
    that the next ones put back (tests/snapshots.py)."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        if snapshots.taken(DEMO_IN_DEBUG):
            snapshots.restore(DEMO_IN_DEBUG)
        else:
            if snapshots.taken(snapshots.DEMO):  # loaded without DEBUG by another module:
                snapshots.restore(snapshots.DEMO)  # loading again only sets the passwords
            load_demo()
            if snapshots.supported():
                snapshots.take(DEMO_IN_DEBUG)
        yield
        transaction.set_rollback(True)


def territory(kind, code) -> Territory:
    return Territory.objects.get(kind=kind, code=code)


def contract(reference) -> Contract:
    return Contract.objects.select_related("territory").get(reference=reference)


def validated(kind, code, identifier) -> dict[int, Decimal]:
    """{year: value} of the validated values of one indicator on one territory."""
    return dict(
        IndicatorValue.objects.validated()
        .filter(territory=territory(kind, code), indicator__identifier=identifier)
        .values_list("year", "value")
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestTheSixContractsOf24October2017:
    def test_only_these_six_tri_contracts_were_signed_on_24_october_2017(self):
        signed = Contract.objects.filter(signed_on=date(2017, 10, 24))

        assert set(signed.values_list("reference", flat=True)) == {
            c.reference for c in SIGNED_ON_24_OCTOBER_2017
        }

    @signed_contracts
    def test_contract_is_on_its_collectivity_territory(self, expected):
        signed = contract(expected.reference)

        assert (signed.territory.kind, signed.territory.code) == (expected.kind, expected.code)
        if expected.kind != TerritoryKind.COMMUNE:
            assert signed.territory.siren == expected.code

    def test_the_scot_sambre_avesnois_groups_the_four_epcis_of_the_avesnois(self):
        scot = contract("COTRI-2017-SAMBRE-AVESNOIS").territory

        assert scot.name == "Syndicat mixte du SCoT Sambre-Avesnois"
        assert set(scot.members.values_list("kind", "code")) == {
            (TerritoryKind.EPCI, "200043396"),
            (TerritoryKind.EPCI, "200043321"),
            (TerritoryKind.EPCI, "200043263"),
            (TerritoryKind.EPCI, "200043404"),
        }

    @signed_contracts
    def test_contract_was_signed_on_24_october_2017_for_three_years_and_is_completed(
        self, expected
    ):
        signed = contract(expected.reference)

        assert signed.signed_on == date(2017, 10, 24)
        assert (signed.start_date, signed.end_date) == (date(2017, 10, 24), date(2020, 10, 23))
        assert signed.status == ContractStatus.COMPLETED
        assert signed.is_demo

    @signed_contracts
    def test_contract_has_the_themes_of_its_collectivity(self, expected):
        themes = contract(expected.reference).themes.values_list("slug", flat=True)

        assert set(themes) == expected.themes

    @signed_contracts
    def test_contract_is_signed_by_ademe_the_region_and_the_collectivity(self, expected):
        signatories = Signatory.objects.filter(contract__reference=expected.reference)

        assert list(signatories.values_list("organisation", flat=True)) == [
            "ADEME Hauts-de-France",
            "Conseil régional Hauts-de-France",
            expected.collectivity,
        ]

    @signed_contracts
    def test_contract_targets_energy_emissions_renewables_and_its_theme_indicators(self, expected):
        targets = Target.objects.filter(contract__reference=expected.reference)

        assert set(targets.values_list("indicator__identifier", flat=True)) == (
            CORE_INDICATORS | expected.theme_indicators
        )
        assert set(targets.values_list("baseline_year", "target_year")) == {(2015, 2020)}

    @signed_contracts
    def test_contract_has_action_sheets_on_its_themes(self, expected):
        actions = Action.objects.filter(contract__reference=expected.reference)

        assert actions.exists()
        assert set(actions.values_list("theme__slug", flat=True)) <= expected.themes

    def test_home_page_lists_the_six_signed_contracts_but_not_the_regional_goals(self, client):
        response = client.get(reverse("home"))

        page = html.unescape(response.content.decode())
        assert response.status_code == 200
        for expected in SIGNED_ON_24_OCTOBER_2017:
            assert territory(expected.kind, expected.code).name in page
        assert page.count('<article class="card') == 6 + LATER_CONTRACTS
        assert page.count("signé le 24 octobre 2017") == 6
        assert "Objectifs régionaux de la Troisième Révolution Industrielle" not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestTheRegionalGoals:
    def test_regional_goals_are_the_hauts_de_france_regions_own_not_a_contract(self):
        goals = RegionalGoal.objects.select_related("territory")

        assert {(g.territory.kind, g.territory.code) for g in goals} == {
            (TerritoryKind.REGION, "32")
        }
        assert {(g.adopted_by, g.is_demo) for g in goals} == {
            ("SRADDET Hauts-de-France (2020)", True)
        }
        assert not Contract.objects.filter(territory__kind=TerritoryKind.REGION).exists()

    def test_no_contract_carries_an_invented_signing_date(self):
        assert not Contract.objects.filter(territory__kind=TerritoryKind.REGION).exists()
        assert not Contract.objects.filter(signed_on=date(2012, 1, 1)).exists()
        assert not Contract.objects.filter(start_date__year__lt=2017).exists()

    def test_regional_goals_run_from_2012_to_2050(self):
        goals = RegionalGoal.objects.all()

        assert set(goals.values_list("indicator__identifier", flat=True)) == {
            "cae_2.a",
            "cae_1.a",
            "cae_3.b",
        }
        assert set(goals.values_list("baseline_year", "target_year")) == {(2012, 2050)}

    @pytest.mark.parametrize(
        ("identifier", "from_baseline", "entered_as"),
        [
            pytest.param(
                "cae_2.a", lambda b: b * Decimal("0.4"), TargetEntry.PERCENT, id="energy -60 %"
            ),
            pytest.param("cae_1.a", lambda b: b / 4, TargetEntry.DIVIDE, id="emissions ÷4"),
            pytest.param(
                "cae_3.b", lambda b: Decimal(100), TargetEntry.ABSOLUTE, id="renewables 100 %"
            ),
        ],
    )
    def test_regional_2050_goal(self, identifier, from_baseline, entered_as):
        goal = RegionalGoal.objects.get(indicator__identifier=identifier)

        assert goal.baseline_value > 0
        assert goal.target_value == from_baseline(goal.baseline_value)
        assert goal.entered_as == entered_as

    def test_regional_values_are_published_from_the_2012_baseline_on(self):
        energy = validated(TerritoryKind.REGION, "32", "cae_2.a")

        assert set(energy) >= {2012, *range(2015, 2021)}
        baseline = RegionalGoal.objects.get(indicator__identifier="cae_2.a").baseline_value
        assert energy[2012] == baseline

    def test_regional_values_are_validated_by_the_region_in_june_of_the_next_year(self):
        values = IndicatorValue.objects.filter(territory__kind=TerritoryKind.REGION)

        assert values.count() == 8 * 3  # 2012, 2015–2021 × energy, emissions, renewables
        assert {v.report_id for v in values} == {None}
        assert {v.validated_by.username for v in values} == {"agent.region"}
        assert {(v.validated_at.year - v.year, v.validated_at.month) for v in values} == {(1, 6)}
        assert {v.source for v in values} == {
            "Données de démonstration (fictives), aux ordres de grandeur de "
            "l'Observatoire Climat Hauts-de-France"
        }


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestTheDemoValues:
    @signed_contracts
    def test_each_entered_indicator_of_a_contract_has_validated_values_2015_to_2020(self, expected):
        targets = Target.objects.filter(contract__reference=expected.reference)
        entered = {  # cae_3.b is computed from cae_3.a and cae_2.a, never entered
            t.indicator.identifier for t in targets if not t.indicator.is_derived
        }

        years = {  # up to its end (a renewal's years follow)
            identifier: {
                y for y in validated(expected.kind, expected.code, identifier) if y <= 2020
            }
            for identifier in entered
        }

        assert entered == (CORE_INDICATORS - {"cae_3.b"}) | expected.theme_indicators
        assert years == {identifier: set(range(2015, 2021)) for identifier in entered}

    def test_every_demo_value_is_marked_demo_sourced_as_demo_and_validated_with_its_report(
        self,
    ):
        values = IndicatorValue.objects.all()

        assert values.count() > 0
        assert set(values.filter(report__status="validated").values_list("status", flat=True)) == {
            ValueStatus.VALIDATED
        }
        # Validated outside a report: only the figures the Region's agent published, the
        # region's own and the observatory's of the EPCIs (peers for the comparisons).
        published = values.exclude(report__status="validated").filter(status=ValueStatus.VALIDATED)
        assert not published.exclude(
            report__isnull=True,
            territory__kind__in=[TerritoryKind.REGION, TerritoryKind.EPCI],
            validated_by__username="agent.region",
        )
        assert published.filter(territory__kind=TerritoryKind.EPCI).exists()
        assert set(values.values_list("is_demo", flat=True)) == {True}
        assert all(
            source.startswith(DEMO_SOURCE) for source in values.values_list("source", flat=True)
        )

    def test_there_is_one_validated_value_per_territory_indicator_and_year(self):
        duplicates = (
            IndicatorValue.objects.validated()
            .values("territory", "indicator", "year")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )

        assert list(duplicates) == []

    def test_demo_reports_are_validated_for_every_year_of_the_six_contracts(self):
        reports = ProgressReport.objects.filter(
            contract__reference__in=[c.reference for c in SIGNED_ON_24_OCTOBER_2017]
        )

        assert set(reports.values_list("contract__reference", "year", "status")) == {
            (c.reference, year, "validated")
            for c in SIGNED_ON_24_OCTOBER_2017
            for year in range(2015, 2021)
        }

    @pytest.mark.parametrize(("kind", "code"), DEMO_TERRITORIES)
    def test_final_energy_consumption_is_15_to_60_mwh_per_inhabitant(self, kind, code):
        population = territory(kind, code).population

        per_inhabitant = {
            year: gwh * 1000 / population for year, gwh in validated(kind, code, "cae_2.a").items()
        }

        assert per_inhabitant
        assert all(15 <= mwh <= 60 for mwh in per_inhabitant.values()), per_inhabitant

    @pytest.mark.parametrize(("kind", "code"), DEMO_TERRITORIES)
    def test_emissions_are_3_to_20_tonnes_per_inhabitant(self, kind, code):
        population = territory(kind, code).population

        per_inhabitant = {
            year: kteq * 1000 / population
            for year, kteq in validated(kind, code, "cae_1.a").items()
        }

        assert per_inhabitant
        assert all(3 <= t <= 20 for t in per_inhabitant.values()), per_inhabitant

    @pytest.mark.parametrize(("kind", "code"), DEMO_TERRITORIES)
    def test_renewables_cover_a_small_share_of_consumption(self, kind, code):
        energy = validated(kind, code, "cae_2.a")  # GWh
        renewables = validated(kind, code, "cae_3.a")  # MWh

        shares = {year: renewables[year] / 1000 / energy[year] * 100 for year in energy}

        assert shares
        assert all(1 <= share <= 30 for share in shares.values()), shares

    def test_lens_lievin_consumes_a_few_thousand_gwh_a_year(self):
        lens = territory(TerritoryKind.EPCI, "246200364")
        energy = validated(TerritoryKind.EPCI, "246200364", "cae_2.a")

        assert 230_000 < lens.population < 250_000
        assert set(range(2015, 2021)) <= set(energy)
        assert all(2_000 <= gwh <= 10_000 for gwh in energy.values()), energy


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestLoadingTheDemoAgain:
    def test_a_second_load_creates_nothing(self):
        def counts():
            return {
                model.__name__: model.objects.count()
                for model in (
                    Contract,
                    Target,
                    Signatory,
                    Action,
                    ProgressReport,
                    IndicatorValue,
                    get_user_model(),
                    OfficerAssignment,
                    Territory,
                )
            }

        before = counts()

        output = load_demo()

        assert counts() == before
        assert "0 contrat(s) créé(s)" in output

    def test_a_second_load_leaves_one_validated_value_per_territory_indicator_and_year(self):
        load_demo()

        duplicates = (
            IndicatorValue.objects.validated()
            .values("territory", "indicator", "year")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert list(duplicates) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestDemoAccountsInDebug:
    @pytest.mark.parametrize("username", DEMO_ACCOUNTS)
    def test_documented_login_works(self, client, username):
        password, _staff, _territory = DEMO_ACCOUNTS[username]

        assert log_in(client, username, password)

    @pytest.mark.parametrize("username", DEMO_ACCOUNTS)
    def test_only_agents_can_open_the_admin(self, client, username):
        password, staff, _territory = DEMO_ACCOUNTS[username]
        log_in(client, username, password)

        response = client.get(reverse("admin:index"))

        assert get_user_model().objects.get(username=username).is_staff is staff
        assert response.status_code == (200 if staff else 302)

    @pytest.mark.parametrize("username", DEMO_ACCOUNTS)
    def test_referents_are_assigned_to_their_collectivity(self, username):
        _password, _staff, assigned = DEMO_ACCOUNTS[username]

        territories = OfficerAssignment.objects.filter(user__username=username).values_list(
            "territory__kind", "territory__code"
        )

        assert set(territories) == ({assigned} if assigned else set())

    def test_a_wrong_password_is_refused(self, client):
        assert not log_in(client, "referent.fourmies", "demo-region-2026")


# _demo_module: the demo as the other modules load it, without DEBUG (this module's own
# `demo` is loaded in DEBUG).
@pytest.mark.usefixtures("_demo_module")
def test_without_debug_the_demo_accounts_exist_without_a_usable_password(db, settings, client):
    settings.DEBUG = False

    users = get_user_model().objects.filter(username__in=DEMO_ACCOUNTS)
    assert {u.username: u.has_usable_password() for u in users} == dict.fromkeys(
        DEMO_ACCOUNTS, False
    )
    assert not any(
        log_in(client, username, password)
        for username, (password, _staff, _territory) in DEMO_ACCOUNTS.items()
    )
    assert OfficerAssignment.objects.filter(
        user__username="referent.fourmies", territory__kind="commune", territory__code="59249"
    ).exists()


def test_loading_the_demo_without_debug_revokes_the_documented_passwords(demo, settings, client):
    settings.DEBUG = True
    load_demo()  # the documented passwords (a second load: nothing else to create)
    settings.DEBUG = False

    load_demo()

    assert not log_in(client, "agent.region", "demo-region-2026")


# --- What the validated reports tell (tri_portal/demo_story.py) -----------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestWhatTheDemoReportsTell:
    def test_every_validated_demo_report_tells_what_its_actions_did(self):
        from contracts.models import ActionUpdate, ReportStatus

        validated = ProgressReport.objects.filter(
            contract__is_demo=True, status=ReportStatus.VALIDATED, contract__actions__isnull=False
        ).distinct()
        assert validated.exists()
        for report in validated:
            assert report.comment.startswith("Donnée de démonstration (fictive)"), report
            assert report.action_updates.count() == report.contract.actions.count()
        assert not ActionUpdate.objects.exclude(report__status=ReportStatus.VALIDATED).exists()
        assert all(u.narrative.startswith("Démonstration") for u in ActionUpdate.objects.all())

    def test_the_demo_has_a_downloadable_evidence_pdf(self, client):
        from contracts.models import EvidenceFile

        evidence = EvidenceFile.objects.get()
        assert "Démonstration" in evidence.title
        client.force_login(get_user_model().objects.get(username="agent.region"))

        response = client.get(evidence.get_absolute_url())

        content = b"".join(response.streaming_content)
        assert response.status_code == 200
        assert content.startswith(b"%PDF-1.4")
        assert content.rstrip().endswith(b"%%EOF")
        assert len(content) == evidence.size < 2000


# --- The contracts' life: final evaluations, renewals, an amendment ------------------


def test_the_2017_contracts_are_completed_with_their_final_evaluation(demo):
    contracts = Contract.objects.filter(reference__startswith="COTRI-2017-")

    assert contracts.count() == 6
    for contract in contracts:
        assert contract.status == ContractStatus.COMPLETED
        evaluation = contract.final_evaluation
        assert evaluation.assessment.startswith("Bilan de démonstration")
        assert evaluation.verdicts.count() == contract.targets.count()
        assert evaluation.verdicts.filter(value__isnull=False).exists()


def test_the_later_contracts_are_linked_to_the_contracts_they_renew(demo, client):
    renewal = Contract.objects.get(predecessor__reference="COTRI-2017-FOURMIES")
    predecessor = renewal.predecessor

    page = client.get(f"/contrats/{predecessor.pk}/").content.decode()

    assert Contract.objects.filter(predecessor__isnull=False).count() == 4
    assert f'href="/contrats/{renewal.pk}/"' in page
    assert "Évaluation finale" in page


def test_the_later_fourmies_contract_carries_an_amendment(demo, client):
    contract = Contract.objects.get(predecessor__reference="COTRI-2017-FOURMIES")

    amendment = contract.amendments.get()
    page = client.get(f"/contrats/{contract.pk}/").content.decode()

    assert amendment.number == 1
    assert amendment.changes.get().indicator.identifier == "cae_3.a"
    assert "Avenants et objectifs en vigueur" in page
    assert "Avenant n° 1" in page
