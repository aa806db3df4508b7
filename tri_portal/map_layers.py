"""From territories to map layers: which communes make a territory (closure table),
their outlines (``territories.outlines``, shipped per region), and the mini-map of a
territory within its département or region."""

from collections import defaultdict

from django.utils.translation import gettext as _

from territories.models import Territory, TerritoryClosure, TerritoryKind
from territories.outlines import outlines
from tri_portal.maps import Layer, Projection, Shape, SvgMap, bbox_of


def region_outlines(region_code: str | None):
    """The commune outlines shipped for the region (None when the portal ships none:
    the pages then show their tables only)."""
    return outlines(region_code)


def commune_codes(territory_ids) -> dict[int, set[str]]:
    """``{territory id: INSEE codes of its communes}`` (a commune: its own code), one
    query whatever the number of territories."""
    codes: dict[int, set[str]] = defaultdict(set)
    rows = TerritoryClosure.objects.filter(
        ancestor_id__in=list(territory_ids), descendant__kind=TerritoryKind.COMMUNE
    ).values_list("ancestor_id", "descendant__code")
    for territory, code in rows:
        codes[territory].add(code)
    return codes


def epci_outline_layer(region: Territory, geo, projection: Projection) -> Layer:
    """The outline of every EPCI with communes on the map, in a thin stroke."""
    epcis = Territory.objects.filter(kind=TerritoryKind.EPCI).descendants_of(region)
    codes = commune_codes(epcis.values_list("pk", flat=True))
    available = geo.codes()
    shapes = []
    for territory_id in sorted(codes):
        drawn = codes[territory_id] & available
        if drawn:
            shapes.append(Shape(projection.lines_path(geo.boundary_arcs(drawn)), "map-epci"))
    return Layer("map-epcis", shapes)


def mini_map(territory: Territory, within_region: bool = False) -> dict | None:
    """A small map of ``territory`` highlighted within its département (a commune, an
    EPCI, a syndicat) or its region (a département, the region itself, or any territory
    ``within_region``): the frame's outline and the territory's communes united; None
    without outlines."""
    frame_kind = (
        TerritoryKind.REGION
        if within_region or territory.kind in (TerritoryKind.DEPARTEMENT, TerritoryKind.REGION)
        else TerritoryKind.DEPARTEMENT
    )
    above = Territory.objects.ancestors_of(territory, include_self=True).filter(
        kind__in=[frame_kind, TerritoryKind.REGION]
    )
    above = sorted(above, key=lambda t: -(t.population or 0))  # the main département first
    frame = next((t for t in above if t.kind == frame_kind), None)
    region = next((t for t in above if t.kind == TerritoryKind.REGION), None)
    if frame is None or region is None:
        return None
    geo = region_outlines(region.code)
    if geo is None:
        return None
    codes = commune_codes([frame.pk, territory.pk])
    available = geo.codes()
    frame_codes, own_codes = codes[frame.pk] & available, codes[territory.pk] & available
    if not frame_codes or not own_codes:
        return None
    frame_polygons = geo.merged(frame_codes)
    projection = Projection(bbox_of(frame_polygons), width=400)
    label = _("Carte : %(territory)s (en couleur) dans %(frame)s") % {
        "territory": territory.name,
        "frame": frame.name,
    }
    svg = SvgMap(
        projection,
        label,
        [
            Layer("map-frame", [Shape(projection.polygons_path(frame_polygons), "map-frame")]),
            Layer(
                "map-highlight",
                [Shape(projection.polygons_path(geo.merged(own_codes)), "map-highlighted")],
            ),
        ],
        css_class="tri-map tri-mini-map",
    )
    return {
        "svg": svg.render(),
        "territory": territory,
        "frame": frame,
        "missing": len(codes[territory.pk] - available),
        "manifest": geo.manifest,
    }
