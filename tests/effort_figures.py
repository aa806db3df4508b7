"""The demo's sentence on the contracts' share of the regional effort on final energy,
computed by hand from the demo's targets (regional dashboard and browser tests)."""

import re
from decimal import Decimal
from html import unescape

from django.db.models import Sum

from contracts.models import COVERING_STATUSES, Contract, Target
from indicators.models import RegionalGoal
from kit.templatetags.tri_format import number, percent
from territories.models import Territory, TerritoryKind
from territories.selectors import communes_of


def text(html: str) -> str:
    """The words of an HTML fragment, whitespace (no-break spaces too) collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def communes_population(territories) -> int:
    ids = set()
    for territory in territories:
        ids |= set(communes_of(territory).values_list("id", flat=True))
    return Territory.objects.filter(pk__in=ids).aggregate(s=Sum("population"))["s"]


def hand_computed_energy(horizon_of):
    """The demo's sentence on final energy, by hand: the active contracts' targets on
    cae_2.a, Fourmies' left out (the town lies inside the SCoT Sambre-Avesnois, whose
    target counts); every demo target ends with its contract, before both horizons, so
    its whole change counts."""
    active = Contract.objects.filter(status__in=COVERING_STATUSES).select_related("territory")
    end = max(contract.end_date.year for contract in active)
    counted = [c for c in active if c.territory.code != "59249"]  # Fourmies
    assert len(counted) == 5
    assert len(active) == 6
    targets = Target.objects.filter(contract__in=counted, indicator__identifier="cae_2.a")
    assert all(t.target_year <= end for t in targets)
    committed = sum(t.target_value - t.baseline_value for t in targets)
    start = min(t.baseline_year for t in targets)
    horizon = horizon_of(end)
    # The regional path: 213 000 GWh in 2012 → −60 % in 2050, a straight line.
    goal = RegionalGoal.objects.get(territory__code="32", indicator__identifier="cae_2.a")
    assert (goal.baseline_year, goal.baseline_value) == (2012, Decimal("213000"))
    assert goal.target_value == Decimal("85200")
    required = Decimal(-127800) * (horizon - start) / 38
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    covered = Decimal(communes_population(c.territory for c in counted)) / region.population
    return text(
        f"Les contrats en cours engagent une baisse de {number(-committed, 1)} GWh entre "
        f"{start} et {horizon} sur {percent(covered, 1)} de la population ; la trajectoire "
        f"régionale demande {number(-required, 1)} GWh entre {start} et {horizon} pour "
        f"toute la région, soit {percent(committed / required, 1)} couvert par les contrats."
    )
