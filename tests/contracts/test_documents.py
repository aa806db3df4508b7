"""Contract documents: served by a permission-checked view (public documents of a
public contract to everyone, the others to staff and the territory's officers only),
always as a download that a browser cannot render, and listed on the contract page."""

import html
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.models import ContractDocument, ContractStatus
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, DocumentFactory
from tests.contracts.test_admin import form_data
from tests.factories import UserFactory

PDF_BYTES = b"%PDF-1.4\n% convention\n".ljust(2048, b"0")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def signed(fourmies):
    return ContractFactory(
        territory=fourmies,
        reference="COTRI-FOURMIES",
        status=ContractStatus.ACTIVE,
        signed_on=date(2017, 10, 24),
    )


@pytest.fixture
def draft(fourmies):
    return ContractFactory(territory=fourmies, reference="COTRI-FOURMIES-BROUILLON")


def log_in(client, role: str):
    """The client as ``role``: anonymous, officer (of Fourmies), other_officer (of
    Grande-Synthe) or staff."""
    if role == "anonymous":
        return client
    if role == "staff":
        user = UserFactory(username="agent.region", is_staff=True)
    else:
        code = "59249" if role == "officer" else "59271"
        user = UserFactory(username=f"referent.{code}")
        territory = Territory.objects.get(kind=TerritoryKind.COMMUNE, code=code)
        OfficerAssignment.objects.create(user=user, territory=territory)
    client.force_login(user)
    return client


def make_document(which: str, signed, draft) -> ContractDocument:
    """``public``: a public document of a signed contract; ``internal``: a document of
    the same contract not marked public; ``draft``: a public document of a draft."""
    return {
        "public": lambda: DocumentFactory(contract=signed, public=True, title="Convention"),
        "internal": lambda: DocumentFactory(contract=signed, title="Note interne"),
        "draft": lambda: DocumentFactory(contract=draft, public=True, title="Projet"),
    }[which]()


def url_of(document: ContractDocument) -> str:
    return reverse("contract_document", args=[document.contract_id, document.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


# --- Who gets which document ------------------------------------------------------------

MATRIX = {
    "anonymous": {"public": 200, "internal": 404, "draft": 404},
    "officer": {"public": 200, "internal": 200, "draft": 200},
    "other_officer": {"public": 200, "internal": 404, "draft": 404},
    "staff": {"public": 200, "internal": 200, "draft": 200},
}


@pytest.mark.parametrize(
    ("role", "which", "status"),
    [(role, which, status) for role, row in MATRIX.items() for which, status in row.items()],
)
def test_who_may_download_which_document(client, signed, draft, role, which, status):
    document = make_document(which, signed, draft)
    client = log_in(client, role)

    response = client.get(url_of(document))

    assert response.status_code == status
    if status == 200:
        assert body(response) == b"%PDF-1.4\n% essai\n"
    else:  # as if it did not exist: the French 404 page, nothing of the document
        assert "Page introuvable" in response.content.decode()
        assert document.title not in response.content.decode()


def test_a_document_is_not_served_under_another_contracts_address(client, signed, draft):
    document = make_document("public", signed, draft)

    response = log_in(client, "staff").get(
        reverse("contract_document", args=[draft.pk, document.pk])
    )

    assert response.status_code == 404


def test_public_documents_of_a_terminated_contract_are_no_longer_public(client, signed, draft):
    document = make_document("public", signed, draft)
    signed.status, signed.termination_reason = ContractStatus.TERMINATED, "Fusion"
    signed.terminated_on = signed.end_date
    signed.save()

    assert client.get(url_of(document)).status_code == 404
    assert log_in(client, "officer").get(url_of(document)).status_code == 200


def test_an_unknown_document_is_a_french_404(client, signed):
    response = client.get(reverse("contract_document", args=[signed.pk, 999999]))

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


# --- What the download looks like -------------------------------------------------------


def test_a_public_document_downloads_as_an_attachment_named_after_its_title(client, signed):
    document = DocumentFactory(
        contract=signed, public=True, title="Convention financière 2017", file__data=PDF_BYTES
    )

    response = client.get(url_of(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Convention-financi%C3%A8re-2017.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == "2048"
    assert "private" not in response.get("Cache-Control", "")
    assert body(response) == PDF_BYTES


def test_an_internal_document_is_not_kept_by_shared_caches(client, signed):
    document = DocumentFactory(contract=signed, title="Note interne")

    response = log_in(client, "staff").get(url_of(document))

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("title", "filename"),
    [
        ("Plan d'actions", 'filename="Plan-d-actions.xlsx"'),
        ('../../etc/passwd"\r\nSet-Cookie: x=1', 'filename="etc-passwd-Set-Cookie-x-1.xlsx"'),
        ("«»", 'filename="document.xlsx"'),
    ],
)
def test_the_download_name_keeps_only_letters_digits_and_dashes(client, signed, title, filename):
    document = DocumentFactory(
        contract=signed,
        public=True,
        title=title,
        file=ContentFile(b"PK\x03\x04", name="plan.xlsx"),
    )

    response = client.get(url_of(document))

    assert response["Content-Disposition"] == f"attachment; {filename}"
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_html_inside_a_pdf_is_served_as_a_pdf_download(client, signed):
    document = DocumentFactory(
        contract=signed,
        public=True,
        file=ContentFile(b"<html><script>alert(document.cookie)</script>", name="rapport.pdf"),
    )

    response = client.get(url_of(document))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_stored_html_file_is_never_served_as_html(client, signed):
    """Uploads are limited to office formats, but a file stored some other way (a
    script, an older version) is still only an opaque download."""
    document = DocumentFactory(
        contract=signed,
        public=True,
        title="Page",
        file=ContentFile(b"<html><script>alert(1)</script>", name="page.html"),
    )

    response = client.get(url_of(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="Page"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_html_upload_is_refused_in_french(signed):
    document = ContractDocument(
        contract=signed, title="Page", file=SimpleUploadedFile("page.html", b"<html>")
    )

    with pytest.raises(ValidationError) as refused:
        document.full_clean()

    [message] = refused.value.message_dict["file"]
    assert message.startswith("L'extension de fichier «\xa0html\xa0» n’est pas autorisée.")


def test_a_document_whose_file_is_missing_is_a_french_404_not_an_error(
    client, signed, media_root, caplog
):
    document = DocumentFactory(contract=signed, public=True, title="Convention")
    (media_root / document.file.name).unlink()

    response = client.get(url_of(document))

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    assert f"Fichier absent du stockage : {document.file.name}" in caplog.text


# --- The contract page lists them -------------------------------------------------------


@pytest.fixture
def two_documents(signed):
    public = DocumentFactory(
        contract=signed, public=True, title="Convention signée", file__data=PDF_BYTES
    )
    internal = DocumentFactory(
        contract=signed,
        title="Compte rendu du comité",
        file=ContentFile(b"PK\x03\x04", name="compte-rendu.odt"),
    )
    return public, internal


@pytest.mark.parametrize(
    ("role", "sees_internal"),
    [("anonymous", False), ("other_officer", False), ("officer", True), ("staff", True)],
)
def test_the_contract_page_lists_the_documents_the_visitor_may_download(
    client, signed, two_documents, role, sees_internal
):
    public, internal = two_documents
    client = log_in(client, role)

    response = client.get(reverse("contract", args=[signed.pk]))

    text = page_text(response)
    assert "Convention signée (PDF, 2,0 Kio)" in text
    assert f'href="{url_of(public)}"' in response.content.decode()
    assert ("Compte rendu du comité (ODT, 4 octets) document interne" in text) is sees_internal
    assert (f'href="{url_of(internal)}"' in response.content.decode()) is sees_internal


def test_a_missing_file_does_not_break_the_contract_page(client, signed, media_root):
    document = DocumentFactory(contract=signed, public=True, title="Convention")
    (media_root / document.file.name).unlink()

    response = client.get(reverse("contract", args=[signed.pk]))

    assert response.status_code == 200
    assert "Convention" in page_text(response)


# --- The admin ----------------------------------------------------------------------------


def test_the_admin_links_each_document_to_its_download_address(staff_client, signed):
    document = DocumentFactory(contract=signed, title="Convention")

    response = staff_client.get(reverse("admin:contracts_contract_change", args=[signed.pk]))

    page = response.content.decode()
    assert f'href="{url_of(document)}"' in page
    assert "/media/" not in page


def test_a_document_uploaded_in_the_admin_can_be_downloaded_by_the_public(
    staff_client, client, signed
):
    change = reverse("admin:contracts_contract_change", args=[signed.pk])
    data = form_data(
        staff_client.get(change),
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-title": "Convention signée",
            "documents-0-kind": "signed_contract",  # the select's value, as a browser posts it
            "documents-0-file": SimpleUploadedFile("convention.pdf", PDF_BYTES),
            "documents-0-public": "on",
        },
    )

    saved = staff_client.post(change, data)

    assert saved.status_code == 302, page_text(saved)
    document = ContractDocument.objects.get(contract=signed)
    assert (document.title, document.public, document.size) == ("Convention signée", True, 2048)
    assert document.get_kind_display() == "contrat signé"
    response = client.get(url_of(document))
    assert response.status_code == 200
    assert body(response) == PDF_BYTES


# --- Kind and content of an upload ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("convention.pdf", b"<html><script>alert(1)</script></html>"),
        ("plan.xlsx", b"PK\x03\x04 pas une archive"),
        ("tableau.csv", b"<svg onload=alert(1)>"),
    ],
)
def test_an_upload_whose_content_is_not_its_format_is_refused_in_french(signed, name, content):
    document = ContractDocument(
        contract=signed, title="Faux", file=SimpleUploadedFile(name, content)
    )

    with pytest.raises(ValidationError) as refused:
        document.full_clean()

    [message] = refused.value.message_dict["file"]
    assert message.startswith(f"Le contenu du fichier « {name} » n'est pas un format accepté")


def test_an_admin_upload_of_html_named_pdf_saves_nothing(staff_client, signed):
    change = reverse("admin:contracts_contract_change", args=[signed.pk])
    data = form_data(
        staff_client.get(change),
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-title": "Convention",
            "documents-0-kind": "signed_contract",
            "documents-0-file": SimpleUploadedFile("convention.pdf", b"<html>piege</html>"),
            "documents-0-public": "on",
        },
    )

    response = staff_client.post(change, data)

    assert response.status_code == 200
    assert "n'est pas un format accepté" in page_text(response)
    assert not ContractDocument.objects.exists()


def test_the_contract_page_says_what_kind_each_document_is(client, signed):
    DocumentFactory(contract=signed, public=True, title="Avenant n°1", kind="amendment")

    text = page_text(client.get(reverse("contract", args=[signed.pk])))

    assert "Avenant : Avenant n°1 (PDF" in text
