"""Evidence files of a report: officers attach PDFs, spreadsheets and images, checked
from their content; kept outside the web root; downloaded only by whoever may see the
report (staff and the territory's officers), as an attachment a browser won't render."""

import html
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts import services
from contracts.models import EVIDENCE_PREFIX, MAX_EVIDENCE_BYTES, EvidenceFile, ProgressReport
from indicators.models import Indicator
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, EvidenceFactory, TargetFactory, signable
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def contract(staff, fourmies):
    contract = ContractFactory(territory=fourmies, reference="COTRI-FOURMIES")
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=date(2017, 10, 24))
    return contract


@pytest.fixture
def report(contract, officer):
    return services.open_report(contract, 2018, officer)


def upload_url(contract, year=2018):
    return reverse("officer:evidence_upload", args=[contract.pk, year])


def upload(client, contract, name, content, title=""):
    return client.post(
        upload_url(contract),
        {"title": title, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Upload ----------------------------------------------------------------------------------


def test_officer_attaches_a_pdf_and_sees_it_on_the_report(client, officer, contract, media_root):
    client.force_login(officer)

    response = upload(client, contract, "facture-led.pdf", PDF, title="Facture des LED")

    assert response.status_code == 200
    assert "Pièce « Facture des LED » jointe au rapport." in page_text(response)
    evidence = EvidenceFile.objects.get()
    assert (evidence.title, evidence.file_format, evidence.size, evidence.uploaded_by) == (
        "Facture des LED",
        "pdf",
        len(PDF),
        officer,
    )
    assert evidence.file.name.startswith(f"{EVIDENCE_PREFIX}/{contract.pk}/2018/")
    stored = Path(media_root) / evidence.file.name
    assert stored.read_bytes() == PDF
    assert Path(django_settings.STATIC_ROOT) not in stored.parents
    assert f'href="{evidence.get_absolute_url()}"' in response.content.decode()
    assert "Facture des LED (PDF, 59 octets)" in page_text(response)
    assert evidence.history.get().history_user == officer


def test_a_pdf_named_file_with_html_content_is_refused_in_french(client, officer, contract):
    client.force_login(officer)

    response = upload(client, contract, "rapport.pdf", b"<html><script>alert(1)</script></html>")

    assert (
        "Pièce refusée : Le contenu du fichier « rapport.pdf » n'est pas un format accepté "
        "(PDF, XLSX, ODS, CSV, PNG, JPEG)"
    ) in page_text(response)
    assert not EvidenceFile.objects.exists()
    assert not ProgressReport.objects.exists()  # nor a report opened for it


def test_a_file_over_the_size_limit_is_refused(report, officer):
    big = SimpleUploadedFile("gros.pdf", b"%PDF-1.4\n" + b"0" * MAX_EVIDENCE_BYTES)

    with pytest.raises(ValidationError) as refused:
        services.add_evidence(report, big, "Gros", officer)

    assert refused.value.messages == ["Le fichier dépasse 10 Mo."]
    assert not EvidenceFile.objects.exists()


def test_evidence_cannot_be_added_or_removed_once_the_report_is_submitted(
    client, officer, report, contract
):
    evidence = services.add_evidence(report, SimpleUploadedFile("a.pdf", PDF), "A", officer)
    services.save_report_values(
        report, [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "1")], officer
    )
    services.submit_report(report, officer)
    client.force_login(officer)

    added = upload(client, contract, "b.pdf", PDF)
    removed = client.post(
        reverse("officer:evidence_delete", args=[report.pk, evidence.pk]), follow=True
    )

    assert "il n'est plus modifiable" in page_text(added)
    assert "il n'est plus modifiable" in page_text(removed)
    assert list(EvidenceFile.objects.all()) == [evidence]
    assert 'name="file"' not in removed.content.decode()  # no upload form any more


def test_officer_removes_a_piece_and_its_file_goes(
    client, officer, report, media_root, django_capture_on_commit_callbacks
):
    evidence = services.add_evidence(report, SimpleUploadedFile("a.pdf", PDF), "A", officer)
    stored = Path(media_root) / evidence.file.name
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("officer:evidence_delete", args=[report.pk, evidence.pk]), follow=True
        )

    assert "Pièce « A » retirée." in page_text(response)
    assert not EvidenceFile.objects.exists()
    assert not stored.exists()
    assert EvidenceFile.history.filter(history_type="-").get().history_user == officer


# --- Download: who, and how --------------------------------------------------------------------


def other_officer():
    user = UserFactory(username="referent.grande-synthe")
    territory = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59271")
    OfficerAssignment.objects.create(user=user, territory=territory)
    return user


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("other_officer", 404), ("officer", 200), ("staff", 200)],
)
def test_who_may_download_an_evidence_file(client, officer, staff, report, who, status):
    evidence = EvidenceFactory(report=report, file__data=PDF)
    user = {"anonymous": None, "other_officer": other_officer(), "officer": officer, "staff": staff}
    if user[who]:
        client.force_login(user[who])

    response = client.get(evidence.get_absolute_url())

    assert response.status_code == status
    if status == 302:  # the login page first
        assert response["Location"].startswith(reverse("login"))
    if status == 404:
        assert "Page introuvable" in response.content.decode()
        assert evidence.title not in response.content.decode()


def test_the_download_is_an_attachment_never_sniffed(client, officer, report):
    evidence = EvidenceFactory(report=report, title="Facture n°12", file__data=PDF)
    client.force_login(officer)

    response = client.get(evidence.get_absolute_url())

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Facture-n-12.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    assert body(response) == PDF


def test_an_evidence_file_is_not_served_under_another_reports_address(
    client, staff, report, contract
):
    evidence = EvidenceFactory(report=report)
    other = services.open_report(contract, 2019, staff)
    client.force_login(staff)

    response = client.get(reverse("officer:evidence_file", args=[other.pk, evidence.pk]))

    assert response.status_code == 404


def test_the_storage_url_does_not_serve_the_files(client, report, staff):
    """Nothing routes MEDIA_URL: the files are reached only through the checked view."""
    evidence = EvidenceFactory(report=report)
    client.force_login(staff)

    assert client.get(f"{django_settings.MEDIA_URL}{evidence.file.name}").status_code == 404


def test_staff_see_the_evidence_at_review(client, officer, staff, report):
    evidence = services.add_evidence(
        report, SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10), "", officer
    )
    client.force_login(staff)

    response = client.get(reverse("staff_report", args=[report.pk]))

    assert "Pièces justificatives" in page_text(response)
    assert "photo (PNG, 18 octets)" in page_text(response)
    assert f'href="{evidence.get_absolute_url()}"' in response.content.decode()
    assert 'name="file"' not in response.content.decode()  # staff review, no upload
