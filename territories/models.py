from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kit.templatetags.tri_format import number
from territories import validators


class TerritoryKind(models.TextChoices):
    REGION = "region", _("Région")
    DEPARTEMENT = "departement", _("Département")
    SYNDICAT = "syndicat", _("Syndicat")
    EPCI = "epci", _("EPCI")
    COMMUNE = "commune", _("Commune")


class EpciNature(models.TextChoices):
    METRO = "METRO", _("Métropole")
    CU = "CU", _("Communauté urbaine")
    CA = "CA", _("Communauté d'agglomération")
    CC = "CC", _("Communauté de communes")


class SyndicatNature(models.TextChoices):
    SCOT = "SCOT", _("Syndicat mixte de SCoT")
    PETR = "PETR", _("Pôle d'équilibre territorial et rural")
    PNR = "PNR", _("Parc naturel régional")
    OTHER = "OTHER", _("Autre syndicat")


CODE_VALIDATORS = {
    TerritoryKind.REGION: validators.validate_region_code,
    TerritoryKind.DEPARTEMENT: validators.validate_departement_code,
    TerritoryKind.EPCI: validators.validate_siren,
    TerritoryKind.SYNDICAT: validators.validate_siren,
    TerritoryKind.COMMUNE: validators.validate_insee_commune,
}

# Which kind may be the direct member of which (parent kind -> allowed child kinds).
ALLOWED_MEMBERSHIPS = {
    TerritoryKind.REGION: {TerritoryKind.DEPARTEMENT},
    TerritoryKind.DEPARTEMENT: {TerritoryKind.COMMUNE},
    TerritoryKind.EPCI: {TerritoryKind.COMMUNE},
    TerritoryKind.SYNDICAT: {TerritoryKind.EPCI, TerritoryKind.COMMUNE},
}


class TerritoryQuerySet(models.QuerySet):
    def communes(self):
        return self.filter(kind=TerritoryKind.COMMUNE)

    def descendants_of(self, territory, *, include_self=False):
        qs = self.filter(ancestor_links__ancestor=territory)
        return qs if include_self else qs.exclude(pk=territory.pk)

    def ancestors_of(self, territory, *, include_self=False):
        qs = self.filter(descendant_links__descendant=territory)
        return qs if include_self else qs.exclude(pk=territory.pk)

    def search(self, text):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(code=text) | Q(siren=text))


class Territory(models.Model):
    """A collectivity or administrative area, identified by its official code."""

    kind = models.CharField(_("type"), max_length=12, choices=TerritoryKind.choices)
    code = models.CharField(
        _("code officiel"),
        max_length=9,
        help_text=_(
            "Code INSEE pour une commune, code de département ou de région, "
            "numéro SIREN pour un EPCI ou un syndicat."
        ),
    )
    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        blank=True,
        validators=[validators.validate_siren],
        help_text=_("9 chiffres, clé de Luhn vérifiée."),
    )
    siren_verified = models.BooleanField(
        _("SIREN officiel"),
        default=True,
        help_text=_(
            "Faux pour un numéro de démonstration (ex. le syndicat de la démonstration) : "
            "il est signalé comme non officiel partout où il est affiché. Saisir le SIREN "
            "officiel le rend officiel."
        ),
    )
    epci_nature = models.CharField(
        _("nature de l'EPCI"), max_length=5, choices=EpciNature.choices, blank=True
    )
    syndicat_nature = models.CharField(
        _("nature du syndicat"), max_length=5, choices=SyndicatNature.choices, blank=True
    )
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d'URL"), max_length=220, unique=True)
    population = models.PositiveIntegerField(
        _("population municipale"),
        null=True,
        blank=True,
        help_text=_(
            "Pour un EPCI, un syndicat, un département ou la région : la somme des "
            "populations municipales de ses communes présentes dans le portail, recalculée "
            "à chaque import et à chaque changement de ses membres."
        ),
    )
    listed_population = models.PositiveIntegerField(
        _("population selon la liste officielle des EPCI"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Renseignée pour un EPCI dont une partie des communes est hors du portail (EPCI "
            "interrégional importé avec une seule région) : sa population totale selon la "
            "liste officielle, plus grande que celle de ses communes présentes."
        ),
    )
    population_year = models.PositiveSmallIntegerField(
        _("millésime de la population"), null=True, blank=True
    )
    members = models.ManyToManyField(
        "self",
        through="Membership",
        through_fields=("parent", "child"),
        symmetrical=False,
        related_name="member_of",
        verbose_name=_("membres"),
        blank=True,
    )
    overlaps_partially = models.BooleanField(
        _("chevauche partiellement un autre territoire"),
        default=False,
        editable=False,
        help_text=_(
            "Partage des communes avec un territoire qui ne le contient pas et qu'il ne "
            "contient pas (ex. deux syndicats ayant un EPCI en commun). Calculé."
        ),
    )
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    history = HistoricalRecords()
    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code"],
                name="territory_unique_kind_code",
                violation_error_message=_("Un territoire de ce type porte déjà ce code."),
            ),
            models.UniqueConstraint(
                fields=["siren"],
                condition=~Q(siren=""),
                name="territory_unique_siren",
                violation_error_message=_("Un territoire porte déjà ce numéro SIREN."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=TerritoryKind.values),
                name="territory_kind_valid",
                violation_error_message=_("Type de territoire inconnu."),
            ),
            models.CheckConstraint(
                condition=Q(epci_nature="") | Q(kind=TerritoryKind.EPCI),
                name="territory_epci_nature_only_for_epci",
                violation_error_message=_("Seul un EPCI a une nature d'EPCI."),
            ),
            models.CheckConstraint(
                condition=Q(syndicat_nature="") | Q(kind=TerritoryKind.SYNDICAT),
                name="territory_syndicat_nature_only_for_syndicat",
                violation_error_message=_("Seul un syndicat a une nature de syndicat."),
            ),
        ]
        indexes = [models.Index(fields=["siren"]), models.Index(fields=["name"])]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self.make_slug(self.name, self.code)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:territories_territory_change", args=[self.pk])

    @staticmethod
    def make_slug(name: str, code: str) -> str:
        return slugify(f"{name}-{code}")[:220]

    def clean(self):
        super().clean()
        errors = {}
        validate_code = CODE_VALIDATORS.get(self.kind)
        if validate_code and self.code:
            try:
                validate_code(self.code)
            except ValidationError as exc:
                errors["code"] = exc.messages
        if self.kind in (TerritoryKind.EPCI, TerritoryKind.SYNDICAT) and self.code:
            if self.siren and self.siren != self.code:
                errors["siren"] = [_("Pour un EPCI ou un syndicat, le SIREN est le code officiel.")]
            self.siren = self.siren or self.code
        if self.kind == TerritoryKind.EPCI and not self.epci_nature:
            errors["epci_nature"] = [_("Précisez la nature de l'EPCI.")]
        if self.kind != TerritoryKind.EPCI and self.epci_nature:
            errors["epci_nature"] = [_("Seul un EPCI a une nature d'EPCI.")]
        if self.kind == TerritoryKind.SYNDICAT and not self.syndicat_nature:
            errors["syndicat_nature"] = [_("Précisez la nature du syndicat.")]
        if self.kind != TerritoryKind.SYNDICAT and self.syndicat_nature:
            errors["syndicat_nature"] = [_("Seul un syndicat a une nature de syndicat.")]
        if errors:
            raise ValidationError(errors)

    @property
    def nature_label(self) -> str:
        return self.get_epci_nature_display() or self.get_syndicat_nature_display()

    @property
    def is_partly_outside(self) -> bool:
        """Some of its communes are not in the portal's territory set (an inter-regional
        EPCI imported with one region): ``population`` counts only those that are, the
        official list gives ``listed_population`` in all."""
        return self.listed_population is not None and self.listed_population != self.population

    @property
    def population_note(self) -> str:
        """Why the official EPCI list gives another figure (empty when it does not)."""
        if not self.is_partly_outside:
            return ""
        return _(
            "dont %(population)s habitants dans les communes de la région ; %(listed)s au "
            "total selon la liste officielle des EPCI"
        ) % {
            "population": number(self.population or 0),
            "listed": number(self.listed_population),
        }

    @property
    def siren_note(self) -> str:
        """Said next to a SIREN that is not the official one (empty for an official one)."""
        if not self.siren or self.siren_verified:
            return ""
        return str(_("numéro de démonstration, non officiel"))


class Membership(models.Model):
    """A direct membership: a commune in its EPCI or département, an EPCI in a syndicat…

    The importer maintains the official ones (region → département → commune,
    EPCI → commune); syndicats' members are entered in the admin.
    """

    parent = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="child_memberships"
    )
    child = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="parent_memberships"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "child"],
                name="membership_unique_pair",
                violation_error_message=_("Ce territoire est déjà membre de celui-ci."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("child")),
                name="membership_not_self",
                violation_error_message=_("Un territoire ne peut pas être membre de lui-même."),
            ),
        ]

    def __str__(self):
        return f"{self.child} ∈ {self.parent}"

    def clean(self):
        super().clean()
        if self.parent_id and self.child_id:
            allowed = ALLOWED_MEMBERSHIPS.get(self.parent.kind, set())
            if self.child.kind not in allowed:
                raise ValidationError(
                    _(
                        "Un territoire de type « %(child)s » ne peut pas être membre d'un « %(parent)s »."
                    )
                    % {
                        "child": self.child.get_kind_display(),
                        "parent": self.parent.get_kind_display(),
                    }
                )


class TerritoryClosure(models.Model):
    """Transitive closure of the nesting: every (ancestor, descendant) pair with its
    shortest distance, self included at depth 0. Rebuilt by
    :func:`territories.services.rebuild_closure`; never edited by hand."""

    ancestor = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="descendant_links"
    )
    descendant = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="ancestor_links"
    )
    depth = models.PositiveSmallIntegerField()
    contains_whole = models.BooleanField(
        default=True,
        help_text="Every commune of the descendant is in the ancestor (False for an EPCI "
        "straddling two départements, seen from one of them).",
    )

    class Meta:
        verbose_name = _("lien de hiérarchie")
        verbose_name_plural = _("liens de hiérarchie")
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="closure_unique_pair"),
        ]
        indexes = [models.Index(fields=["descendant", "depth"])]

    def __str__(self):
        return f"{self.ancestor_id} ⊇ {self.descendant_id} ({self.depth})"


class TerritoryOverlap(models.Model):
    """Two territories sharing communes without one containing the other (two
    syndicats with a common EPCI, an EPCI straddling a département boundary). Stored
    both ways; rebuilt with the closure table. The aggregates resolve these pairs."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("chevauchement partiel")
        verbose_name_plural = _("chevauchements partiels")
        constraints = [
            models.UniqueConstraint(fields=["territory", "other"], name="overlap_unique_pair"),
        ]

    def __str__(self):
        return f"{self.territory_id} ∩ {self.other_id}"


class OfficerAssignment(models.Model):
    """Who (a collectivity officer, *référent*) may report for which territory."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="territory_assignments",
        verbose_name=_("référent"),
    )
    territory = models.ForeignKey(
        Territory,
        on_delete=models.CASCADE,
        related_name="officer_assignments",
        verbose_name=_("territoire"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("affectation de référent")
        verbose_name_plural = _("affectations de référents")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "territory"],
                name="officer_assignment_unique",
                violation_error_message=_("Ce référent est déjà affecté à ce territoire."),
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.territory}"


class ImportRun(models.Model):
    """One run of ``import_territories``: what was loaded, from which data, with what result."""

    scope = models.CharField(_("périmètre"), max_length=20)
    data_version = models.CharField(_("version des données"), max_length=50)
    data_checksum = models.CharField(_("empreinte des données"), max_length=64)
    started_at = models.DateTimeField(_("commencé le"))
    finished_at = models.DateTimeField(_("terminé le"))
    territories_created = models.PositiveIntegerField(_("territoires créés"), default=0)
    territories_updated = models.PositiveIntegerField(_("territoires mis à jour"), default=0)
    memberships_added = models.PositiveIntegerField(_("appartenances ajoutées"), default=0)
    memberships_removed = models.PositiveIntegerField(_("appartenances retirées"), default=0)

    class Meta:
        verbose_name = _("import de territoires")
        verbose_name_plural = _("imports de territoires")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.scope} — {self.data_version} — {self.finished_at:%d/%m/%Y %H:%M}"
