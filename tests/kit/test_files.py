"""kit.files recognises a file from its content, never from its name."""

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kit.files import check_content, safe_download_name, sniff_type


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Facture"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def open_document(mimetype: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7\n1 0 obj\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (xlsx_bytes(), "xlsx"),
        (open_document(b"application/vnd.oasis.opendocument.spreadsheet"), "ods"),
        (open_document(b"application/vnd.oasis.opendocument.text"), "odt"),
        ("année;valeur\n2018;1 234,5\n".encode(), "csv"),
        ("année;valeur\n2018;12\n".encode("cp1252"), "csv"),
        (b"<html><script>alert(1)</script></html>", None),
        (b"  <!DOCTYPE html><p>x</p>", None),
        (b"a;b\n<svg onload=alert(1)>", None),
        (b"PK\x03\x04 not really a zip", None),
        (open_document(b"application/x-autre"), None),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows executable
        (b"", None),
    ],
)
def test_sniff_type_reads_the_content(content, expected):
    assert sniff_type(io.BytesIO(content)) == expected


def test_sniffing_leaves_the_file_at_its_start():
    file = io.BytesIO(b"%PDF-1.4\n")
    file.read(3)

    sniff_type(file)

    assert file.tell() == 0


def test_a_pdf_name_with_html_content_is_refused_in_french():
    upload = SimpleUploadedFile("rapport.pdf", b"<html><body>faux</body></html>")

    with pytest.raises(ValidationError) as refused:
        check_content(upload, ("pdf", "png"))

    assert refused.value.messages == [
        "Le contenu du fichier « rapport.pdf » n'est pas un format accepté (PDF, PNG) : "
        "son nom ne suffit pas, c'est son contenu qui est vérifié."
    ]


def test_a_real_pdf_under_another_extension_is_asked_to_be_renamed():
    upload = SimpleUploadedFile("photo.png", b"%PDF-1.4\n")

    with pytest.raises(ValidationError) as refused:
        check_content(upload, ("pdf", "png"))

    assert refused.value.messages == [
        "Le fichier « photo.png » contient un PDF : renommez-le avec l'extension « .pdf »."
    ]


def test_a_jpeg_may_be_named_jpg():
    assert check_content(SimpleUploadedFile("photo.JPG", b"\xff\xd8\xff\xe0"), ("jpeg",)) == "jpeg"


def test_download_names_keep_only_words():
    assert safe_download_name('../x"\r\ny', "pdf") == "x-y.pdf"
    assert safe_download_name("«»", "", fallback="piece") == "piece"
