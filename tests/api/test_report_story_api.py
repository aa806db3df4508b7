"""Action updates, the overall comment and contract documents through the API: the
officer writes the updates nested in the report write (same service and rules as the
form); the contract's documents are listed to whom may download them."""

import pytest
from django.core.files.base import ContentFile

from contracts.models import ActionUpdate, DocumentKind, ProgressReport
from tests.contracts.factories import ActionFactory, DocumentFactory

REPORTS = "/api/v1/reports/"
CONTRACTS = "/api/v1/contracts/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def lighting(contract_a):
    return ActionFactory(contract=contract_a, title="Éclairage public en LED")


def open_report(client, contract, year=2018) -> int:
    return client.post(REPORTS, {"contract": contract.pk, "year": year}, format="json").json()["id"]


def put(client, report_id, body):
    return client.put(f"{REPORTS}{report_id}/values/", body, format="json")


def test_officer_writes_action_updates_and_comment_with_the_values(api_a, contract_a, lighting):
    report_id = open_report(api_a, contract_a)

    response = put(
        api_a,
        report_id,
        {
            "values": [{"indicator": "cae_2.a", "value": "950"}],
            "actions": [
                {
                    "action": lighting.pk,
                    "status": "in_progress",
                    "progress": 60,
                    "spent": "42000.5",
                    "narrative": "300 candélabres remplacés.",
                }
            ],
            "comment": "Année de travaux.",
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["comment"] == "Année de travaux."
    assert body["actions"] == [
        {
            "action": lighting.pk,
            "action_title": "Éclairage public en LED",
            "status": "in_progress",
            "progress": 60,
            "spent": "42000.5",
            "narrative": "300 candélabres remplacés.",
        }
    ]
    assert [v["value"] for v in body["values"]] == ["950"]


def test_actions_alone_can_be_written_and_the_version_is_checked(api_a, contract_a, lighting):
    report_id = open_report(api_a, contract_a)
    version = api_a.get(f"{REPORTS}{report_id}/").json()["version"]
    entry = {"action": lighting.pk, "status": "done", "progress": 100}

    assert put(api_a, report_id, {"actions": [entry], "version": version}).status_code == 200
    stale = put(api_a, report_id, {"actions": [entry], "version": version})

    assert stale.status_code == 409
    assert "modifié par quelqu'un d'autre" in str(stale.json())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"progress": 101}, "inférieure ou égale à 100"),
        ({"status": "fini"}, "n'est pas un choix valide"),
        ({"spent": "-3"}, "Les dépenses sont un montant en euros, positif ou nul."),
        ({"narrative": "x" * 1001}, "au plus 1000"),
    ],
)
def test_a_bad_action_update_is_a_french_400_and_nothing_is_saved(
    api_a, contract_a, lighting, entry, message
):
    report_id = open_report(api_a, contract_a)
    body = {"action": lighting.pk, "status": "done", "progress": 100, **entry}

    response = put(
        api_a,
        report_id,
        {"values": [{"indicator": "cae_2.a", "value": "950"}], "actions": [body]},
    )

    assert response.status_code == 400
    assert message in str(response.json()).replace("\u202f", " ").replace("\xa0", " ")
    assert not ActionUpdate.objects.exists()
    assert not ProgressReport.objects.get(pk=report_id).values.exists()  # one transaction


def test_an_action_of_another_contract_is_refused(api_a, contract_a, contract_b):
    other = ActionFactory(contract=contract_b)
    report_id = open_report(api_a, contract_a)

    response = put(
        api_a, report_id, {"actions": [{"action": other.pk, "status": "done", "progress": 1}]}
    )

    assert response.status_code == 400
    assert "n'appartient pas au contrat du rapport" in str(response.json())


def test_an_empty_write_says_what_it_expects(api_a, contract_a):
    response = put(api_a, open_report(api_a, contract_a), {})

    assert response.status_code == 400
    assert "Rien à enregistrer" in str(response.json())


def test_updates_of_a_submitted_report_are_refused(api_a, contract_a, lighting):
    report_id = open_report(api_a, contract_a)
    put(api_a, report_id, {"values": [{"indicator": "cae_2.a", "value": "950"}]})
    api_a.post(f"{REPORTS}{report_id}/submit/")

    response = put(
        api_a, report_id, {"actions": [{"action": lighting.pk, "status": "done", "progress": 1}]}
    )

    assert response.status_code == 409
    assert "n'est plus modifiable" in str(response.json())


# --- Contract documents in the API ----------------------------------------------------------


@pytest.fixture
def documents(contract_a):
    public = DocumentFactory(
        contract=contract_a,
        public=True,
        title="Convention signée",
        kind=DocumentKind.SIGNED_CONTRACT,
        file=ContentFile(b"%PDF-1.7\n" + b"0" * 91, name="convention.pdf"),
    )
    internal = DocumentFactory(contract=contract_a, title="Note interne")
    return public, internal


def titles(client, contract):
    return [d["title"] for d in client.get(f"{CONTRACTS}{contract.pk}/").json()["documents"]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous_api", ["Convention signée"]),
        ("api_b", ["Convention signée"]),
        ("api_a", ["Convention signée", "Note interne"]),
        ("staff_api", ["Convention signée", "Note interne"]),
    ],
)
def test_the_api_lists_the_documents_each_client_may_download(
    request, contract_a, documents, who, expected
):
    assert titles(request.getfixturevalue(who), contract_a) == expected


def test_a_public_document_in_the_api_has_kind_size_and_download_url(
    anonymous_api, contract_a, documents
):
    [document] = anonymous_api.get(f"{CONTRACTS}{contract_a.pk}/").json()["documents"]

    assert document == {
        "id": documents[0].pk,
        "title": "Convention signée",
        "kind": "signed_contract",
        "format": "pdf",
        "size": 100,
        "public": True,
        "download_url": f"http://testserver/contrats/{contract_a.pk}/documents/{documents[0].pk}/",
    }
    assert anonymous_api.get(document["download_url"]).status_code == 200
