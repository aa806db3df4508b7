"""Documents of a contract (the signed contract, annexes…), and who may download them."""

import re
from contextlib import suppress
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models.contracts import PUBLIC_STATUSES, Contract, assigned_territories

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def validate_document_size(file):
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("Le document dépasse 20 Mo."))


# What a document may be, and the type it is served as (never one a browser renders).
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
OPAQUE_TYPE = "application/octet-stream"
MAX_DOWNLOAD_NAME = 100


class ContractDocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public documents of public contracts, for everyone; every document of the
        contracts of their territories for an officer; every document for staff."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        public = Q(public=True, contract__status__in=PUBLIC_STATUSES)
        if user.is_authenticated:
            return self.filter(public | Q(contract__territory_id__in=assigned_territories(user)))
        return self.filter(public)


class ContractDocument(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(
        _("fichier"),
        upload_to="contracts/%Y/",
        validators=[
            FileExtensionValidator(list(DOCUMENT_TYPES)),
            validate_document_size,
        ],
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Téléchargeable par tous sur la page du contrat une fois celui-ci signé ; "
            "sinon réservé aux agents et aux référents du territoire."
        ),
    )
    size = models.PositiveBigIntegerField(_("taille (octets)"), null=True, editable=False)
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    objects = ContractDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["title", "id"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Keep the file's size (pages list it without touching the storage)."""
        with suppress(OSError):  # the stored file went missing: keep the size known
            self.size = self.file.size if self.file else None
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("contract_document", args=[self.contract_id, self.pk])

    @property
    def extension(self) -> str:
        """The file's extension if it is an accepted one, else ''."""
        extension = PurePosixPath(self.file.name).suffix.lower().lstrip(".")
        return extension if extension in DOCUMENT_TYPES else ""

    @property
    def content_type(self) -> str:
        return DOCUMENT_TYPES.get(self.extension, OPAQUE_TYPE)

    @property
    def download_name(self) -> str:
        """The title as a file name: words joined by dashes (no path, quote or control
        character can reach the header), then the accepted extension."""
        stem = "-".join(re.findall(r"\w+", self.title))[:MAX_DOWNLOAD_NAME] or "document"
        return f"{stem}.{self.extension}" if self.extension else stem

    @property
    def is_public(self) -> bool:
        """Anyone may download it (the rule of ``visible_to`` for one document)."""
        return self.public and self.contract.status in PUBLIC_STATUSES
