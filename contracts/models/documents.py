"""Documents of a contract (the signed contract, annexes…), and who may download them."""

from contextlib import suppress
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models.contracts import PUBLIC_STATUSES, Contract, assigned_territories
from kit.files import MAX_DOWNLOAD_NAME as MAX_DOWNLOAD_NAME  # re-exported
from kit.files import check_content, extension_of, safe_download_name

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def validate_document_size(file):
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("Le document dépasse 20 Mo."))


def validate_document_content(file):
    """A new upload is what its content says, and that agrees with its name (a stored
    file is not read again on each save)."""
    if getattr(file, "_committed", True):
        return
    if extension_of(file.name) in DOCUMENT_FORMATS:  # else the extension is refused already
        check_content(file, DOCUMENT_FORMATS)


class DocumentKind(models.TextChoices):
    SIGNED_CONTRACT = "signed_contract", _("contrat signé")
    AMENDMENT = "amendment", _("avenant")
    DELIBERATION = "deliberation", _("délibération")
    EVALUATION = "evaluation", _("évaluation")
    OTHER = "other", _("autre")


# What a document may be, and the type it is served as (never one a browser renders).
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
# The formats (kit.files) whose content an upload must have: the same list.
DOCUMENT_FORMATS = tuple(DOCUMENT_TYPES)
OPAQUE_TYPE = "application/octet-stream"


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
    kind = models.CharField(
        _("nature"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER
    )
    file = models.FileField(
        _("fichier"),
        upload_to="contracts/%Y/",
        validators=[
            FileExtensionValidator(list(DOCUMENT_TYPES)),
            validate_document_size,
            validate_document_content,
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
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values),
                name="document_kind_valid",
                violation_error_message=_("Nature de document inconnue."),
            ),
        ]

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
        return safe_download_name(self.title, self.extension)

    @property
    def is_public(self) -> bool:
        """Anyone may download it (the rule of ``visible_to`` for one document)."""
        return self.public and self.contract.status in PUBLIC_STATUSES
