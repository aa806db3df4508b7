"""API of the indicator catalogue, the validated values and the regional aggregates,
with their open-data exports — one module per endpoint (``catalogue``, ``values``,
``aggregates``; ``common`` for what they share), the names the project uses
re-exported here."""

from indicators.api.aggregates import AGGREGATES, AggregateViewSet
from indicators.api.catalogue import IndicatorViewSet
from indicators.api.values import VALUE_SOURCES, VALUES, ValueSerializer, ValueViewSet

__all__ = [
    "AGGREGATES",
    "VALUES",
    "VALUE_SOURCES",
    "AggregateViewSet",
    "IndicatorViewSet",
    "ValueSerializer",
    "ValueViewSet",
]
