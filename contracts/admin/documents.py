"""Admin of contract documents: the file widget links to the permission-checked
download."""

from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from contracts.models import ContractDocument


class ServedFile:
    """What the file widget links to: the permission-checked download, since uploaded
    files are not served under MEDIA_URL."""

    def __init__(self, document: ContractDocument):
        self.url = document.get_absolute_url()
        self.name = document.file.name

    def __str__(self):
        return self.name


class DocumentFileWidget(AdminFileWidget):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        document = getattr(value, "instance", None)
        if context["widget"]["is_initial"] and document is not None and document.pk:
            context["widget"]["value"] = ServedFile(document)
        return context


class DocumentInline(admin.TabularInline):
    model = ContractDocument
    extra = 0
    fields = ["title", "kind", "file", "public", "size_column"]
    readonly_fields = ["size_column"]
    formfield_overrides = {models.FileField: {"widget": DocumentFileWidget}}

    @admin.display(description=_("taille"))
    def size_column(self, obj):
        return filesizeformat(obj.size) if obj.size is not None else "—"
