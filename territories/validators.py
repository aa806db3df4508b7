"""Official codes: SIREN (check digit by python-stdnum), INSEE commune, département and
region codes."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siren

INSEE_COMMUNE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
DEPARTEMENT_RE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]|98[4-9])$")
REGION_RE = re.compile(r"^(?:\d{2}|97[5-8]|98[4-9])$")


def validate_siren(value: str) -> None:
    # The format first, by us: stdnum accepts "246 200 364" (it strips the spaces), and
    # the stored SIREN is the 9 digits alone.
    if not re.fullmatch(r"\d{9}", value or ""):
        raise ValidationError(
            _("Un numéro SIREN comporte exactement 9 chiffres (reçu : « %(value)s »)."),
            code="siren_format",
            params={"value": value},
        )
    if not siren.is_valid(value):
        raise ValidationError(
            _("Le numéro SIREN « %(value)s » est invalide (clé de contrôle de Luhn erronée)."),
            code="siren_luhn",
            params={"value": value},
        )


def validate_insee_commune(value: str) -> None:
    if not INSEE_COMMUNE_RE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "Un code INSEE de commune comporte 5 caractères : 5 chiffres, ou 2A/2B "
                "suivi de 3 chiffres en Corse (reçu : « %(value)s »)."
            ),
            code="insee_format",
            params={"value": value},
        )


def validate_departement_code(value: str) -> None:
    if not DEPARTEMENT_RE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "Code de département invalide : « %(value)s » (attendu : 01 à 95, 2A, 2B "
                "ou 971 à 989)."
            ),
            code="departement_format",
            params={"value": value},
        )


def validate_region_code(value: str) -> None:
    if not REGION_RE.fullmatch(value or ""):
        raise ValidationError(
            _("Code de région invalide : « %(value)s » (attendu : 2 chiffres, ex. 32)."),
            code="region_format",
            params={"value": value},
        )
