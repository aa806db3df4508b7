"""The regional dashboard's sentences on the contracts' share of the regional effort,
checked against a hand computation from the demo's targets."""

import json
import re
from decimal import Decimal
from html import unescape

from django.db.models import Sum
from django.urls import reverse

from contracts.models import COVERING_STATUSES, Contract, Target
from indicators.models import RegionalGoal
from kit.templatetags.tri_format import number, percent
from territories.models import Territory, TerritoryKind
from territories.selectors import communes_of


def page(client):
    response = client.get(reverse("regional_dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def sentence(html, identifier, horizon):
    match = re.search(
        rf'<p class="effort-sentence"\s+data-indicator="{re.escape(identifier)}"\s+'
        rf'data-horizon="{horizon}">(.*?)</p>',
        html,
        re.DOTALL,
    )
    assert match, f"no sentence for {identifier} {horizon}"
    return text(match.group(1)).strip()


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


def test_the_energy_sentence_equals_a_hand_computation_at_the_end_of_the_contracts(demo, client):
    expected = hand_computed_energy(lambda end: end)

    said = sentence(page(client), "cae_2.a", "contracts_end")

    assert said.startswith("Données de démonstration ")
    assert expected in said
    assert "trajectoire : SRADDET Hauts-de-France (2020)" in said


def test_the_energy_sentence_equals_a_hand_computation_in_2030(demo, client):
    expected = hand_computed_energy(lambda end: 2030)

    assert expected in sentence(page(client), "cae_2.a", "fixed_year")


def test_renewable_production_is_a_rise_and_the_share_is_read_through_it(demo, client):
    html = page(client)

    assert "engagent une hausse de" in sentence(html, "cae_3.a", "contracts_end")
    assert 'data-indicator="cae_3.b"' not in html
    assert 'href="/methode/#effort"' in html


def test_a_departement_without_a_complete_aggregate_says_there_is_no_figure(demo, client):
    html = text(page(client))

    assert "Nord (59), " in html
    assert "pas de chiffre : pas d'agrégat complet du département pour" in html


def test_the_chart_compares_committed_and_required_with_its_table(demo, client):
    html = page(client)
    match = re.search(
        r'<script id="graphique-part-effort" type="application/json">(.*?)</script>',
        html,
        re.DOTALL,
    )
    chart = json.loads(match.group(1))

    assert chart["type"] == "bar"
    assert [d["label"] for d in chart["datasets"]] == [
        "Engagé par les contrats",
        "Demandé par la trajectoire régionale",
    ]
    assert len(chart["labels"]) == 6  # 3 indicators × 2 horizons
    assert set(chart["datasets"][1]["data"]) == {100.0}
    table = html[html.index('data-chart="graphique-part-effort"') :]
    assert "Indicateur et échéance" in table[: table.index("</table>")]


def test_the_method_page_defines_the_share_of_effort(db, client):
    html = client.get(reverse("method")).content.decode()

    assert 'id="effort"' in html
    assert "Fourmies" in text(html[html.index('id="effort"') :])
