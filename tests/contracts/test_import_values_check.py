"""An imported value is checked by the indicator's own rule (``Indicator.check_value``,
as in the progress form and the API), and by no second rule of the import: a value
with more than six decimals is refused with the message the form gives."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from contracts.imports import COLUMNS, import_values
from indicators.models import VALUE_DECIMALS, Indicator
from tests.factories import UserFactory


@pytest.mark.parametrize("value", ["0,1234567", "1,0000000", "1E-7"])
def test_an_imported_value_with_more_than_six_decimals_is_refused_with_the_form_message(db, value):
    upload = SimpleUploadedFile(
        "valeurs.csv", f"{';'.join(COLUMNS)}\n59249;cae_2.a;2018;{value};GWh;;\n".encode()
    )

    result = import_values(upload, UserFactory(is_staff=True))

    assert (2, f"valeur : {value} a plus de 6 décimales : arrondissez la valeur.") in result.errors
    assert (result.rows, result.reports) == (0, [])


@given(st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
def test_a_value_the_indicator_accepts_has_at_most_six_decimals(text):
    """Why the import needs no decimal check of its own (it had one, never reached)."""
    try:
        number = Indicator(identifier="cae_2.a", unit="GWh").check_value(str(text))
    except ValidationError:
        return
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(number, Decimal)
    assert exponent >= -VALUE_DECIMALS
