import pytest
from django.core.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren

from territories.importer import load_package
from territories.validators import (
    validate_departement_code,
    validate_insee_commune,
    validate_region_code,
    validate_siren,
)


@pytest.mark.parametrize(
    "siren",
    [
        "246200364",
        "200043404",
        "215902495",
        "245900428",
    ],  # CA Lens-Liévin, CC Sud Avesnois, Fourmies…
)
def test_official_sirens_are_accepted(siren):
    validate_siren(siren)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("246200365", "clé de contrôle de Luhn erronée"),
        ("24620036", "exactement 9 chiffres"),
        ("24620036A", "exactement 9 chiffres"),
        ("", "exactement 9 chiffres"),
    ],
)
def test_invalid_siren_is_rejected_with_a_french_message(value, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_siren(value)
    assert message in excinfo.value.messages[0]


@pytest.mark.parametrize("code", ["59249", "2A004", "2B033", "97101"])
def test_insee_commune_codes_are_accepted(code):
    validate_insee_commune(code)


@pytest.mark.parametrize("code", ["5924", "592490", "2C004", "ABCDE", "59 249"])
def test_malformed_insee_commune_codes_are_rejected(code):
    with pytest.raises(ValidationError, match="code INSEE de commune"):
        validate_insee_commune(code)


def test_every_code_of_the_official_data_set_passes_the_validators():
    records = load_package().records
    for region in records["regions"]:
        validate_region_code(region["code"])
    for departement in records["departements"]:
        validate_departement_code(departement["code"])
    current = [c for c in records["communes"] if c["type"] == "commune-actuelle"]
    for commune in current:
        validate_insee_commune(commune["code"])
    # Every commune SIREN and EPCI SIREN is Luhn-valid (only overseas collectivities have none).
    assert all(stdnum_siren.is_valid(c["siren"]) for c in current if c.get("siren"))
    assert all(stdnum_siren.is_valid(e["code"]) for e in records["epci"])


@pytest.mark.parametrize("code", ["00", "96", "2C", "970", "1"])
def test_unknown_departement_codes_are_rejected(code):
    with pytest.raises(ValidationError, match="Code de département invalide"):
        validate_departement_code(code)
