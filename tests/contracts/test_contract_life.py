"""A contract's life: signing on the day it was signed, activation before its end,
termination with a reason and a date, completion with a final evaluation, renewal by a
successor — services, staff pages and what the public sees."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts import services
from contracts.models import (
    Contract,
    ContractStatus,
    FinalEvaluation,
    Signatory,
    Target,
    Verdict,
)
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import (
    ContractFactory,
    TargetFactory,
    accept_verdicts,
    indicator,
    signable,
)
from tests.factories import UserFactory
from tests.indicators.factories import ValidatedValueFactory

S = ContractStatus
SIGNED_ON = date(2017, 10, 24)


@pytest.fixture
def staff(db):
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def active(staff):
    """Fourmies 2017–2020, final energy 1 000 (2015) → 900 (2020): 920 validated in
    2020, 880 in 2021 (after its end)."""
    contract = ContractFactory()
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=SIGNED_ON)
    services.activate_contract(contract, staff, activated_on=SIGNED_ON)
    ValidatedValueFactory(year=2020, value=Decimal("920"))
    ValidatedValueFactory(year=2021, value=Decimal("880"))
    return contract


# --- Signing, activating, terminating -------------------------------------------------


def test_signing_records_the_date_actually_signed(staff):
    contract = signable(ContractFactory())

    services.sign_contract(contract, staff, signed_on=SIGNED_ON)

    contract.refresh_from_db()
    assert (contract.status, contract.signed_on) == (S.SIGNED, SIGNED_ON)


@pytest.mark.parametrize(
    ("signed_on", "message"),
    [
        (None, "Indiquez la date à laquelle le contrat a été signé."),
        (date(2099, 1, 1), "ne peut pas être future"),
        (date(2020, 10, 24), "postérieure à la fin du contrat"),
    ],
)
def test_signing_date_must_be_given_past_and_before_the_end(staff, signed_on, message):
    contract = signable(ContractFactory())

    with pytest.raises(ValidationError) as error:
        services.sign_contract(contract, staff, signed_on=signed_on)

    assert message in " ".join(error.value.messages)
    contract.refresh_from_db()
    assert contract.status == S.DRAFT


def test_contract_without_signatories_themes_or_targets_cannot_be_signed(staff):
    contract = ContractFactory()

    with pytest.raises(ValidationError) as error:
        services.sign_contract(contract, staff, signed_on=SIGNED_ON)

    assert error.value.messages == [
        "Un contrat ne peut pas être signé sans signataire.",
        "Un contrat ne peut pas être signé sans thématique.",
        "Un contrat ne peut pas être signé sans objectif chiffré.",
    ]


def test_activation_after_the_end_date_is_refused(staff):
    contract = signable(ContractFactory())
    services.sign_contract(contract, staff, signed_on=SIGNED_ON)

    with pytest.raises(ValidationError, match="a pris fin le 23/10/2020"):
        services.activate_contract(contract, staff)

    contract.refresh_from_db()
    assert contract.status == S.SIGNED


def test_termination_needs_a_reason_and_a_date(active, staff):
    with pytest.raises(ValidationError) as error:
        services.terminate_contract(active, staff, " ", None)
    assert error.value.messages == [
        "Indiquez le motif de la résiliation.",
        "Indiquez la date à laquelle le contrat a été résilié.",
    ]

    services.terminate_contract(active, staff, "Fusion de communes", date(2019, 6, 30))

    active.refresh_from_db()
    assert (active.status, active.terminated_on, active.termination_reason) == (
        S.TERMINATED,
        date(2019, 6, 30),
        "Fusion de communes",
    )


# --- Final evaluation ------------------------------------------------------------------


def test_completing_without_an_evaluation_is_refused(active, staff):
    with pytest.raises(ValidationError) as error:
        services.complete_contract(active, staff, "", {})

    messages = " ".join(error.value.messages)
    assert "sans évaluation finale" in messages
    assert "Donnez le verdict" in messages
    active.refresh_from_db()
    assert active.status == S.ACTIVE
    assert not FinalEvaluation.objects.exists()


def test_final_evaluation_uses_the_last_validated_value_up_to_the_end(active, staff):
    [(_target, end)] = services.proposed_verdicts(active)

    # 920 in 2020 (2021's 880 is after the end): moved towards 900 without reaching it.
    assert (end.year, end.value, end.verdict) == (2020, Decimal("920"), Verdict.PARTLY_MET)

    services.complete_contract(active, staff, "Bilan : en bonne voie.", accept_verdicts(active))

    active.refresh_from_db()
    verdict = active.final_evaluation.verdicts.get()
    assert active.status == S.COMPLETED
    assert (verdict.verdict, verdict.computed_verdict, verdict.value) == (
        Verdict.PARTLY_MET,
        Verdict.PARTLY_MET,
        Decimal("920"),
    )
    assert active.final_evaluation.evaluated_by == staff


def test_staff_override_a_verdict_only_with_a_comment(active, staff):
    target = active.targets.get()

    with pytest.raises(ValidationError, match="doit être commenté"):
        services.complete_contract(
            active, staff, "Bilan", {target.pk: services.VerdictInput(Verdict.MET)}
        )

    services.complete_contract(
        active,
        staff,
        "Bilan",
        {target.pk: services.VerdictInput(Verdict.MET, "Valeur 2020 provisoire sous-estimée")},
    )
    verdict = FinalEvaluation.objects.get().verdicts.get()
    assert (verdict.verdict, verdict.overridden) == (Verdict.MET, True)


def test_final_evaluation_is_public_on_the_page_and_in_the_api(active, staff, client):
    services.complete_contract(active, staff, "Bilan : en bonne voie.", accept_verdicts(active))

    page = client.get(f"/contrats/{active.pk}/")
    data = client.get(f"/api/v1/contracts/{active.pk}/").json()

    text = page.content.decode()
    assert "Évaluation finale" in text
    assert "Bilan : en bonne voie." in text
    assert "partiellement atteint" in text
    assert data["final_evaluation"]["assessment"] == "Bilan : en bonne voie."
    assert data["final_evaluation"]["verdicts"][0]["verdict"] == "partly_met"


# --- Renewal ---------------------------------------------------------------------------


def test_renewal_creates_a_draft_successor_with_the_targets_to_renegotiate(active, staff):
    Signatory.objects.create(contract=active, organisation="ADEME Hauts-de-France")

    successor = services.renew_contract(active, staff, "COTRI-2020-FOURMIES", date(2020, 10, 24))

    assert successor.status == S.DRAFT
    assert successor.predecessor == active
    assert successor.end_date == date(2023, 10, 23)
    assert set(successor.themes.all()) == set(active.themes.all())
    assert successor.signatories.count() == active.signatories.count()
    target = successor.targets.get()
    # Baseline: the last validated value; target value copied, to renegotiate.
    assert (target.baseline_year, target.baseline_value, target.target_value) == (
        2021,
        Decimal("880"),
        Decimal("900"),
    )
    assert target.target_year == 2023


def test_a_contract_has_one_successor_at_most(active, staff):
    services.renew_contract(active, staff, "COTRI-2020-FOURMIES", date(2020, 10, 24))

    with pytest.raises(ValidationError, match="déjà un successeur"):
        services.renew_contract(active, staff, "COTRI-2020-FOURMIES-BIS", date(2020, 10, 24))


def test_renewal_links_both_ways_on_the_pages_and_in_the_api(active, staff, client):
    successor = services.renew_contract(active, staff, "COTRI-2020-FOURMIES", date(2020, 10, 24))
    signable(successor)
    services.sign_contract(successor, staff, signed_on=date(2020, 10, 24))

    old_page = client.get(f"/contrats/{active.pk}/").content.decode()
    new_page = client.get(f"/contrats/{successor.pk}/").content.decode()
    old_data = client.get(f"/api/v1/contracts/{active.pk}/").json()
    new_data = client.get(f"/api/v1/contracts/{successor.pk}/").json()

    assert f'href="/contrats/{successor.pk}/"' in old_page
    assert f'href="/contrats/{active.pk}/"' in new_page
    assert (old_data["successor"], new_data["predecessor"]) == (successor.pk, active.pk)


def test_territory_page_shows_the_series_of_contracts_in_order(active, staff, client):
    successor = services.renew_contract(active, staff, "COTRI-2020-FOURMIES", date(2020, 10, 24))
    services.sign_contract(successor, staff, signed_on=date(2020, 10, 24))

    text = client.get(f"/territoires/{active.territory.slug}/").content.decode()

    assert "Contrats successifs" in text
    series = text[text.index("Contrats successifs") :]
    assert series.index(active.reference) < series.index("COTRI-2020-FOURMIES")


def test_draft_successor_is_not_shown_to_anonymous_readers(active, staff, client):
    services.renew_contract(active, staff, "COTRI-2020-FOURMIES", date(2020, 10, 24))

    data = client.get(f"/api/v1/contracts/{active.pk}/").json()

    assert data["successor"] is None


# --- Amendments on the public page and in the API -------------------------------------


@pytest.fixture
def amended(active, staff):
    services.record_amendment(
        active,
        staff,
        number=1,
        signed_on=date(2019, 3, 1),
        effective_year=2019,
        reason="Objectif relevé après le plan de rénovation",
        changes=[
            services.Change(
                "change_target", target=active.targets.get(), target_value=Decimal("800")
            )
        ],
    )
    return active


def test_public_page_shows_the_original_target_the_amendment_and_the_target_in_force(
    amended, client
):
    text = client.get(f"/contrats/{amended.pk}/").content.decode()

    assert "Avenants et objectifs en vigueur" in text
    assert "Avenant n° 1, signé le 1 mars 2019, en vigueur à partir de 2019" in text
    assert "Objectif relevé après le plan de rénovation" in text
    assert "900" in text  # the original target
    assert "800" in text  # the target in force


def test_api_lists_amendments_of_public_contracts(amended, client):
    data = client.get(f"/api/v1/contracts/{amended.pk}/").json()

    [amendment] = data["amendments"]
    assert (amendment["number"], amendment["effective_year"]) == (1, 2019)
    change = amendment["changes"][0]
    assert (change["kind"], change["indicator"]) == ("change_target", "cae_2.a")
    assert (Decimal(change["old_target_value"]), Decimal(change["new_target_value"])) == (
        Decimal("900"),
        Decimal("800"),
    )


def test_api_does_not_show_a_draft_contract_or_its_amendments_to_anonymous(client, db):
    draft = TargetFactory().contract

    assert client.get(f"/api/v1/contracts/{draft.pk}/").status_code == 404


def test_amendments_endpoint_lists_them_by_contract(amended, client):
    other = TargetFactory(contract=ContractFactory()).contract  # a draft: never listed

    data = client.get("/api/v1/amendments/", {"contract": amended.pk}).json()
    everything = client.get("/api/v1/amendments/").json()

    [row] = data["results"]
    assert (row["contract"], row["contract_reference"], row["number"]) == (
        amended.pk,
        amended.reference,
        1,
    )
    assert {r["contract"] for r in everything["results"]} == {amended.pk}
    assert other.pk != amended.pk


def test_amendments_endpoint_refuses_a_bad_filter_in_french(client, db):
    response = client.get("/api/v1/amendments/", {"contract": "abc"})

    assert response.status_code == 400


# --- Staff pages -----------------------------------------------------------------------


def test_staff_record_an_amendment_on_the_contract_life_page(amended, staff_client):
    target = amended.targets.get()
    response = staff_client.post(
        f"/gestion/contrats/{amended.pk}/avenant/",
        {
            "number": "2",
            "signed_on": "2020-02-01",
            "effective_year": "2020",
            "reason": "Report de l'échéance",
            "modif-TOTAL_FORMS": "1",
            "modif-INITIAL_FORMS": "0",
            "modif-0-kind": "change_target",
            "modif-0-target": str(target.pk),
            "modif-0-target_value": "750",
        },
    )

    assert response.status_code == 302
    assert amended.amendments.get(number=2).recorded_by.is_staff
    assert Target.objects.get(pk=target.pk).target_value == Decimal("750")


def test_bad_amendment_on_the_staff_page_shows_a_french_message(amended, staff_client):
    response = staff_client.post(
        f"/gestion/contrats/{amended.pk}/avenant/",
        {
            "number": "1",
            "signed_on": "2020-02-01",
            "effective_year": "2020",
            "reason": "Doublon",
            "modif-TOTAL_FORMS": "1",
            "modif-INITIAL_FORMS": "0",
            "modif-0-kind": "change_end_date",
            "modif-0-end_date": "2021-10-23",
        },
    )

    assert response.status_code == 400
    assert "Le contrat a déjà un avenant n° 1." in response.content.decode()


def test_staff_complete_a_contract_with_the_prefilled_evaluation(active, staff_client):
    target = active.targets.get()
    page = staff_client.get(f"/gestion/contrats/{active.pk}/evaluation/").content.decode()
    assert 'value="partly_met" selected' in page

    response = staff_client.post(
        f"/gestion/contrats/{active.pk}/evaluation/",
        {"assessment": "Bilan écrit", f"verdict_{target.pk}": "partly_met"},
    )

    assert response.status_code == 302
    assert Contract.objects.get(pk=active.pk).status == S.COMPLETED


def test_staff_sign_and_terminate_on_the_contract_life_page(staff_client, db):
    contract = signable(ContractFactory())
    url = f"/gestion/contrats/{contract.pk}/"

    refused = staff_client.post(url, {"action": "sign", "signed_on": "2099-01-01"})
    assert refused.status_code == 400
    assert "ne peut pas être future" in refused.content.decode()

    staff_client.post(url, {"action": "sign", "signed_on": "2017-10-24"})
    staff_client.post(
        url, {"action": "terminate", "reason": "Dissolution", "terminated_on": "2018-01-31"}
    )

    contract.refresh_from_db()
    assert (contract.status, contract.signed_on, contract.terminated_on) == (
        S.TERMINATED,
        SIGNED_ON,
        date(2018, 1, 31),
    )


def test_contract_life_page_shows_targets_amendments_and_next_steps(amended, staff_client):
    text = staff_client.get(f"/gestion/contrats/{amended.pk}/").content.decode()

    assert "Objectifs chiffrés : signés et en vigueur" in text
    assert "Avenant n° 1, signé le 1 mars 2019" in text
    assert "Enregistrer un avenant" in text
    assert "Achever avec l&#x27;évaluation finale" in text or "Achever avec l'évaluation" in text
    assert "Créer le contrat suivant" in text


def test_renewing_on_the_contract_life_page_opens_the_successor(active, staff_client):
    response = staff_client.post(
        f"/gestion/contrats/{active.pk}/",
        {"action": "renew", "reference": "COTRI-2020-FOURMIES", "start_date": "2020-10-24"},
    )

    successor = Contract.objects.get(reference="COTRI-2020-FOURMIES")
    assert response["Location"] == f"/gestion/contrats/{successor.pk}/"
    assert successor.predecessor == active


def test_a_renewal_can_go_to_a_successor_territory_given_by_its_siren(active, staff_client):
    epci = Territory.objects.filter(kind=TerritoryKind.EPCI).exclude(siren="").first()

    staff_client.post(
        f"/gestion/contrats/{active.pk}/",
        {
            "action": "renew",
            "reference": "COTRI-2020-FUSION",
            "start_date": "2020-10-24",
            "territory": epci.siren,
        },
    )

    successor = Contract.objects.get(reference="COTRI-2020-FUSION")
    assert (successor.territory, successor.predecessor) == (epci, active)


def test_an_unknown_successor_territory_is_refused_in_french(active, staff_client):
    response = staff_client.post(
        f"/gestion/contrats/{active.pk}/",
        {
            "action": "renew",
            "reference": "COTRI-2020-FUSION",
            "start_date": "2020-10-24",
            "territory": "123456789",
        },
    )

    assert response.status_code == 400
    assert "Aucun territoire de SIREN ou de code INSEE « 123456789 »" in response.content.decode()
    assert not Contract.objects.filter(reference="COTRI-2020-FUSION").exists()


def test_contract_life_pages_are_for_staff_only(client, active):
    response = client.get(f"/gestion/contrats/{active.pk}/")

    assert response.status_code == 302
    assert "/login" in response["Location"] or "/compte/" in response["Location"]


# --- Baselines -------------------------------------------------------------------------


def test_added_target_baseline_is_prefilled_from_the_validated_value(active, staff):
    ValidatedValueFactory(indicator="cae_3.a", year=2018, value=Decimal("12000"))

    services.record_amendment(
        active,
        staff,
        number=1,
        signed_on=date(2019, 3, 1),
        effective_year=2019,
        reason="Nouvel objectif renouvelable",
        changes=[
            services.Change(
                "add_target",
                indicator=indicator("cae_3.a"),
                baseline_year=2018,
                target_year=2020,
                target_value=Decimal("15000"),
            )
        ],
    )

    added = active.targets.get(indicator__identifier="cae_3.a")
    assert (added.baseline_value, added.baseline_differs) == (Decimal("12000"), False)


def test_admin_flags_a_typed_baseline_differing_from_the_validated_value(staff_client, db):
    ValidatedValueFactory(year=2015, value=Decimal("1000"))
    contract = ContractFactory()

    response = staff_client.post(
        "/admin/contracts/target/add/",
        {
            "contract": contract.pk,
            "indicator": indicator("cae_2.a").pk,
            "baseline_year": "2015",
            "baseline_value": "1100",
            "target_year": "2020",
            "target_value": "900",
        },
        follow=True,
    )

    target = Target.objects.get(contract=contract)
    assert target.baseline_differs
    assert target.validated_baseline_value == Decimal("1000")
    assert "diffère de la valeur validée de 2015" in response.content.decode()


def test_admin_prefills_an_empty_baseline_from_the_validated_value(staff_client, db):
    ValidatedValueFactory(year=2015, value=Decimal("1000"))
    contract = ContractFactory()

    staff_client.post(
        "/admin/contracts/target/add/",
        {
            "contract": contract.pk,
            "indicator": indicator("cae_2.a").pk,
            "baseline_year": "2015",
            "baseline_value": "",
            "target_year": "2020",
            "target_value": "900",
        },
    )

    assert Target.objects.get(contract=contract).baseline_value == Decimal("1000")


def test_signed_contract_target_is_read_only_in_the_admin(active, staff_client):
    target = active.targets.get()

    response = staff_client.post(
        f"/admin/contracts/target/{target.pk}/change/",
        {
            "contract": active.pk,
            "indicator": target.indicator_id,
            "baseline_year": "2015",
            "baseline_value": "1000",
            "target_year": "2020",
            "target_value": "100",
        },
    )

    assert response.status_code == 403
    assert Target.objects.get(pk=target.pk).target_value == Decimal("900")


def test_signed_contract_targets_are_read_only_inline_and_a_draft_s_editable(active, staff_client):
    draft = TargetFactory(contract=ContractFactory()).contract

    signed_page = staff_client.get(f"/admin/contracts/contract/{active.pk}/change/")
    draft_page = staff_client.get(f"/admin/contracts/contract/{draft.pk}/change/")

    assert 'name="targets-0-target_value"' not in signed_page.content.decode()
    assert 'name="targets-0-target_value"' in draft_page.content.decode()


def test_contract_page_and_api_queries_do_not_grow_with_amendments(amended, staff, staff_client):
    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(url).status_code == 200
        return len(queries)

    urls = [f"/contrats/{amended.pk}/", f"/api/v1/contracts/{amended.pk}/", "/api/v1/amendments/"]
    for url in urls:
        staff_client.get(url)  # warm-up: the mini-map's one-time cache
    with_one = [count(url) for url in urls]
    target = amended.targets.get()
    for number, year, value in [(2, 2019, "790"), (3, 2020, "780")]:
        services.record_amendment(
            amended,
            staff,
            number=number,
            signed_on=date(2020, 1, number),
            effective_year=year,
            reason="Ajustement",
            changes=[services.Change("change_target", target=target, target_value=Decimal(value))],
        )

    assert [count(url) for url in urls] == with_one
