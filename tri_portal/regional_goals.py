"""The region whose 2050 goals the dashboards and the region's page show (the goals
and where they stand are read by ``indicators.selectors.regional_goals``)."""

from django.conf import settings

from indicators.selectors import GoalRow, regional_goals
from territories.models import Territory, TerritoryKind

__all__ = ["GoalRow", "default_region", "regional_goals"]


def default_region() -> Territory | None:
    return Territory.objects.filter(
        kind=TerritoryKind.REGION, code=settings.TERRITORIES_DEFAULT_REGION
    ).first()
