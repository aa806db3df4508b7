"""Read-side queries of the territories app."""

from django.conf import settings
from django.db.models import Count

from territories.models import ImportRun, Territory, TerritoryKind


def region_overview(region_code: str | None = None) -> dict:
    """The default region with how many territories of each kind it contains."""
    code = region_code or settings.TERRITORIES_DEFAULT_REGION
    region = Territory.objects.filter(kind=TerritoryKind.REGION, code=code).first()
    if region is None:
        return {"region": None, "counts": {}, "last_import": None}
    counts = dict(
        Territory.objects.descendants_of(region)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {
        "region": region,
        "counts": [
            (label, counts.get(kind, 0))
            for kind, label in TerritoryKind.choices
            if kind != TerritoryKind.REGION
        ],
        "last_import": ImportRun.objects.first(),
    }


def communes_of(territory: Territory):
    return Territory.objects.communes().descendants_of(territory, include_self=True)


def departements_of(territory: Territory):
    return Territory.objects.ancestors_of(territory).filter(kind=TerritoryKind.DEPARTEMENT)
