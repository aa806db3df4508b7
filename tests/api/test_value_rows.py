"""The values list writes each row directly (ValueSerializer.to_representation): it must
write exactly what the serializer's declared fields write, the contract the OpenAPI
schema documents."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from indicators.api import VALUE_SOURCES, ValueSerializer

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
ZONES = [UTC, zoneinfo.ZoneInfo("Europe/Paris"), zoneinfo.ZoneInfo("America/Cayenne")]

COLUMNS = {
    "id": st.integers(1, 2**63 - 1),
    "territory": st.integers(1, 2**63 - 1),
    "territory__kind": st.sampled_from(["region", "departement", "epci", "commune"]),
    "territory__code": TEXT,
    "territory__siren": st.none() | TEXT,
    "territory__siren_verified": st.booleans(),
    "territory__name": TEXT,
    "indicator__identifier": TEXT,
    "indicator__unit": TEXT,
    "year": st.integers(1990, 2100),
    "value": st.decimals(
        min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=6, allow_nan=False
    ),
    "source": TEXT,
    "validated_at": st.none()
    | st.builds(
        lambda moment, zone: moment.replace(tzinfo=UTC).astimezone(zone),
        st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)),
        st.sampled_from(ZONES),
    ),
    "validated_by_organisation": st.none() | TEXT,
    "is_demo": st.booleans(),
    "corrected_at": st.none()
    | st.builds(
        lambda moment: moment.replace(tzinfo=UTC),
        st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)),
    ),
    "self_corrected": st.booleans(),
}
rows = st.fixed_dictionaries(COLUMNS)


def test_the_rows_tested_are_those_the_list_reads():
    assert list(COLUMNS) == VALUE_SOURCES


@settings(max_examples=300, deadline=timedelta(seconds=1))
@given(row=rows, zone=st.sampled_from(ZONES))
def test_a_value_row_is_written_as_the_serializer_fields_write_it(row, zone):
    serializer = ValueSerializer()
    with timezone.override(zone):
        direct = serializer.to_representation(row)
        by_fields = serializers.ModelSerializer.to_representation(serializer, row)

    assert list(direct.items()) == list(by_fields.items())
