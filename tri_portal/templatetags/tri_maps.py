"""Mini-maps for the contract and territory pages: ``{% territory_mini_map territory %}``
(built once per data version and territory: the outlines do not change between)."""

from django import template

from kit.cache import versioned_value
from tri_portal.map_layers import mini_map

register = template.Library()


@register.inclusion_tag("includes/mini_map.html")
def territory_mini_map(territory, within=""):
    """``within="region"``: the territory within its region (a contract's perimeter),
    else within its département."""
    region = within == "region"
    key = f"tri:mini-map:{territory.pk}:{within}"
    return {"mini_map": versioned_value(key, lambda: mini_map(territory, within_region=region))}
