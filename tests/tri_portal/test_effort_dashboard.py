"""The regional dashboard's sentences on the contracts' share of the regional effort,
checked against a hand computation from the demo's targets."""

import json
import re

from django.urls import reverse

from tests.effort_figures import hand_computed_energy, text


def page(client):
    response = client.get(reverse("regional_dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def sentence(html, identifier, horizon):
    match = re.search(
        rf'<p class="effort-sentence"\s+data-indicator="{re.escape(identifier)}"\s+'
        rf'data-horizon="{horizon}">(.*?)</p>',
        html,
        re.DOTALL,
    )
    assert match, f"no sentence for {identifier} {horizon}"
    return text(match.group(1)).strip()


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
