"""What an uploaded file really is, read from its content (never from its name): the one
place where the portal recognises PDF, images, office and CSV files. Contract documents
and the evidence files of progress reports both check their uploads here."""

import logging
import re
import zipfile
from contextlib import suppress
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

# Each format: the extensions it may carry and the type it is served as.
FORMATS = {
    "pdf": (("pdf",), "application/pdf"),
    "png": (("png",), "image/png"),
    "jpeg": (("jpg", "jpeg"), "image/jpeg"),
    "xlsx": (("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": (
        ("docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "ods": (("ods",), "application/vnd.oasis.opendocument.spreadsheet"),
    "odt": (("odt",), "application/vnd.oasis.opendocument.text"),
    "csv": (("csv",), "text/csv"),
}
FORMAT_LABELS = {name: name.upper() for name in FORMATS} | {"jpeg": "JPEG"}

SNIFF_BYTES = 64 * 1024  # read for a text file (CSV): enough to judge it
_OPEN_DOCUMENT = {
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.text": "odt",
}
_OOXML = {"xl/workbook.xml": "xlsx", "word/document.xml": "docx"}
# Markup a browser would render or run: never a CSV.
_MARKUP = re.compile(rb"<\s*(?:[a-z!?/])", re.IGNORECASE)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _zip_format(file) -> str | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return _OPEN_DOCUMENT.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                return next((kind for member, kind in _OOXML.items() if member in names), None)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def _is_csv(head: bytes) -> bool:
    if not head.strip() or _CONTROL.search(head) or _MARKUP.search(head):
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        with suppress(UnicodeDecodeError):
            head.decode(encoding)
            return True
    return False


def sniff_type(file) -> str | None:
    """The format of ``file``'s content (a key of ``FORMATS``), or None when it is none
    of them. ``file`` is any readable, seekable file (an upload, a storage file); its
    position is put back at the start."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpeg"
        if head.startswith(b"PK\x03\x04"):
            return _zip_format(file)
        # A text file: judged on its beginning (a CSV of several megabytes is fine).
        return "csv" if _is_csv(head[: SNIFF_BYTES - 4]) else None
    finally:
        file.seek(0)


def extension_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def check_content(file, accepted: tuple[str, ...]) -> str:
    """The format of an upload whose content is one of the ``accepted`` formats and
    agrees with its extension; else a French ValidationError (nothing is saved)."""
    found = sniff_type(file)
    names = ", ".join(FORMAT_LABELS[name] for name in accepted)
    if found not in accepted:
        raise ValidationError(
            _(
                "Le contenu du fichier « %(name)s » n'est pas un format accepté (%(formats)s) : "
                "son nom ne suffit pas, c'est son contenu qui est vérifié."
            )
            % {"name": PurePosixPath(file.name or "").name, "formats": names},
            code="content_type",
        )
    if extension_of(file.name or "") not in FORMATS[found][0]:
        raise ValidationError(
            _(
                "Le fichier « %(name)s » contient un %(found)s : renommez-le avec l'extension "
                "« .%(extension)s »."
            )
            % {
                "name": PurePosixPath(file.name or "").name,
                "found": FORMAT_LABELS[found],
                "extension": FORMATS[found][0][0],
            },
            code="content_extension",
        )
    return found


MAX_DOWNLOAD_NAME = 100


def safe_download_name(title: str, extension: str = "", fallback: str = "document") -> str:
    """A title as a file name: words joined by dashes (no path, quote or control character
    can reach the header), then the extension."""
    stem = "-".join(re.findall(r"\w+", title))[:MAX_DOWNLOAD_NAME] or fallback
    return f"{stem}.{extension}" if extension else stem


def content_type_of(file_format: str) -> str:
    """The type a file of this format is served as (opaque for anything unknown)."""
    return FORMATS[file_format][1] if file_format in FORMATS else "application/octet-stream"


def stored_file_download(stored, filename: str, content_type: str) -> FileResponse:
    """A stored file (a model's ``FieldFile``) as a download a browser never renders nor
    sniffs (``Content-Disposition: attachment``, ``nosniff``); 404 — and an error in the
    log — when the storage no longer has it."""
    try:
        stream = stored.storage.open(stored.name, "rb")
    except OSError:
        logging.getLogger(__name__).error("Fichier absent du stockage : %s", stored.name)
        raise Http404 from None
    response = FileResponse(
        stream, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
