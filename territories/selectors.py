"""Read-side queries of the territories app."""

from django.conf import settings
from django.db.models import Count, Max, Sum

from kit.cache import versioned_value
from territories.models import ImportRun, Territory, TerritoryClosure, TerritoryKind
from territories.outlines import Polygons, outlines


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


def commune_population_totals(territory_ids=None) -> dict[int, tuple[int, int | None]]:
    """``{territory id: (population, year)}`` of every territory holding communes (or
    of those of ``territory_ids``): the sum of the populations of its communes in the
    portal's territory set, and their latest vintage. One query.

    This is *the* population of an EPCI, a syndicat, a département or the region
    (``territories.services.refresh_populations`` stores it in ``Territory.population``;
    the contract figures count coverage on the same communes), so the population a
    page shows and the one a coverage share is computed on are the same."""
    links = TerritoryClosure.objects.filter(
        descendant__kind=TerritoryKind.COMMUNE, depth__gt=0
    ).exclude(ancestor__kind=TerritoryKind.COMMUNE)
    if territory_ids is not None:
        links = links.filter(ancestor_id__in=list(territory_ids))
    rows = (
        links.values("ancestor_id")
        .annotate(total=Sum("descendant__population"), year=Max("descendant__population_year"))
        .values_list("ancestor_id", "total", "year")
    )
    return {pk: (total or 0, year) for pk, total, year in rows}


def outline_of(territory: Territory) -> Polygons | None:
    """The territory's outline from the shipped commune outlines (lon/lat polygons): a
    commune's own, else the union of its communes (closure table), from the same topology
    so neighbouring unions share their border. None when no outline is shipped for it or
    for one of its communes (a partial outline is never shown as the territory's).
    Kept for the data version."""
    polygons = versioned_value(f"tri:outline:{territory.pk}", lambda: _outline(territory) or [])
    return polygons or None


def _outline(territory: Territory) -> Polygons | None:
    shipped = outlines()
    if shipped is None:
        return None
    if territory.kind == TerritoryKind.COMMUNE:
        codes = {territory.code}
    else:
        codes = set(communes_of(territory).values_list("code", flat=True))
    if not codes or not codes <= shipped.codes():
        return None
    if territory.kind == TerritoryKind.COMMUNE:
        return shipped.polygons(territory.code)
    return shipped.merged(codes)


def outline_collection(features: list[tuple[dict, Polygons | None]]) -> dict:
    """A GeoJSON FeatureCollection of outlines, with their source, licence and attribution
    (from the manifest of the shipped file) in its ``metadata`` member; a feature without
    an outline has a null geometry."""
    shipped = outlines()
    if shipped is None:
        return {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": properties, "geometry": None}
                for properties, _ in features
            ],
        }
    collection = shipped.geojson(
        [(properties, polygons or []) for properties, polygons in features]
    )
    for feature, (_, polygons) in zip(collection["features"], features, strict=True):
        if polygons is None:
            feature["geometry"] = None
    return collection
