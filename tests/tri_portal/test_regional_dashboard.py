"""The public regional dashboard: TRI 2050 goals, contract coverage and contract
figures, read from the materialised aggregates only."""

import json
import re
from html import unescape

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.selectors import regional_goals
from territories.models import Territory, TerritoryKind

GOAL_CHARTS = [
    "graphique-objectif-cae-1-a",  # GHG emissions
    "graphique-objectif-cae-2-a",  # final energy consumption
    "graphique-objectif-cae-3-b",  # renewable share
]


def page(client):
    response = client.get(reverse("regional_dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def chart_json(html, chart_id):
    match = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html, re.DOTALL
    )
    assert match, f"no JSON for {chart_id}"
    return json.loads(match.group(1))


def chart_table_rows(html, chart_id):
    """The body rows of the data table that follows the chart's canvas."""
    start = html.index(f'data-chart="{chart_id}"')
    table = html[start : html.index("</table>", start)]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(\d+)</th>(.*?)</tr>", table, re.DOTALL)
    return [(year, re.findall(r"<td[^>]*>(.*?)</td>", cells)) for year, cells in rows]


def test_the_dashboard_is_public(client, demo_recomputed):
    response = client.get(reverse("regional_dashboard"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>\s*Tableau de bord régional\s*—", html)
    assert html.count("<h1") == 1
    assert (
        '<li class="breadcrumb-item active" aria-current="page">Tableau de bord régional</li>'
        in html
    )


def test_the_dashboard_shows_the_three_2050_goals_with_the_regional_figures(
    client, demo_recomputed
):
    html = page(client)

    # GHG: 58 540 kteq in 2012, 48 000 in 2021, goal ÷4 = 14 635 in 2050
    assert "Émissions de gaz à effet de serre" in html
    assert "58\xa0540,0 (2012)" in html
    assert "48\xa0000,0 (2021)" in html
    assert "14\xa0635,0 (2050)" in html
    assert "Consommation énergétique finale" in html
    assert "Part de la production d&#x27;énergie renouvelable" in html
    assert "dans la trajectoire" in html  # GHG is ahead of its trajectory
    assert "en retard" in html  # energy and renewables lag behind theirs


def test_each_goal_has_a_chart_described_in_json(client, demo_recomputed):
    html = page(client)

    for chart_id in GOAL_CHARTS:
        assert f'<canvas data-chart="{chart_id}"' in html
        chart = chart_json(html, chart_id)
        assert chart["labels"] == [str(year) for year in range(2012, 2051)]
        assert [d["style"] for d in chart["datasets"]] == ["line", "dashed", "point"]
        for dataset in chart["datasets"]:
            assert len(dataset["data"]) == len(chart["labels"])

    ghg = chart_json(html, "graphique-objectif-cae-1-a")
    values, trajectory, goal = (d["data"] for d in ghg["datasets"])
    assert ghg["unit"] == "kteq CO2"
    assert (values[0], values[2021 - 2012]) == (58540.0, 48000.0)
    assert (trajectory[0], trajectory[-1]) == (58540.0, 14635.0)
    assert goal == [None] * (len(goal) - 1) + [14635.0]


def test_each_chart_is_followed_by_its_data_table(client, demo_recomputed):
    html = page(client)

    for chart_id in GOAL_CHARTS:
        assert "Les données sont dans le tableau qui suit, à déplier." in html
        rows = chart_table_rows(html, chart_id)
        assert [year for year, _ in rows] == [str(year) for year in range(2012, 2051)]

    rows = dict(chart_table_rows(html, "graphique-objectif-cae-1-a"))
    assert rows["2012"] == ["58\xa0540,0", "58\xa0540,0", "—"]
    assert rows["2021"][0] == "48\xa0000,0"
    assert rows["2050"] == ["—", "14\xa0635,0", "14\xa0635,0"]


def test_the_dashboard_loads_the_vendored_chart_scripts_once_and_no_inline_script(
    client, demo_recomputed
):
    html = page(client)

    assert html.count("chartjs-4.5.1/chart.umd.min") == 1
    assert html.count("js/charts.") == 1
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    for attributes, body in scripts:
        assert 'type="application/json"' in attributes or (
            not body.strip() and "src=" in attributes
        )
    assert "cdn" not in html.lower()


def test_the_dashboard_shows_the_population_covered_by_contracts(client, demo_recomputed):
    html = page(client)

    # CU d'Arras, SCoT Sambre-Avesnois (with Fourmies), CA de Lens-Liévin, Douaisis Agglo,
    # CA du Beauvaisis; with the completed ones, Compiègne and Grande-Synthe too.
    assert "Contrats signés ou en cours : 827\xa0291 habitants (13,8\xa0% de la population)" in html
    assert (
        "Contrats signés, en cours ou achevés : 931\xa0522 habitants (15,5\xa0% de la population)"
        in html
    )


def test_the_dashboard_counts_contracts_by_status_theme_and_departement(client, demo_recomputed):
    html = unescape(page(client))

    assert "12 contrats signés, en cours ou achevés." in html
    assert re.search(r'<th scope="row">Achevé</th>\s*<td class="text-end">6</td>', html)
    assert re.search(r'<th scope="row">En cours</th>\s*<td class="text-end">6</td>', html)
    assert re.search(r'<th scope="row">Signé</th>\s*<td class="text-end">0</td>', html)
    assert "En préparation" not in html  # drafts are not public
    assert re.search(r'<th scope="row">Bâtiment</th>\s*<td class="text-end">9</td>', html)
    # Nord: SCoT Sambre-Avesnois and Fourmies (twice), Grande-Synthe, Douaisis Agglo;
    # Pas-de-Calais: Arras and Lens-Liévin (twice)
    assert re.search(r'<th scope="row">Nord \(59\)</th>\s*<td class="text-end"[^>]*>6</td>', html)
    assert re.search(
        r'<th scope="row">Pas-de-Calais \(62\)</th>\s*<td class="text-end"[^>]*>4</td>', html
    )
    assert re.search(r'<th scope="row">Somme \(80\)</th>\s*<td class="text-end"[^>]*>0</td>', html)


def test_the_dashboard_shows_the_date_of_the_last_recompute(client, demo_recomputed):
    from django.utils import timezone
    from django.utils.formats import date_format

    from indicators.models import RecomputeRun

    finished = timezone.localtime(RecomputeRun.objects.latest("finished_at").finished_at)

    html = page(client)

    assert f"Chiffres calculés le {date_format(finished, 'j F Y à H:i')}" in html


def test_before_any_recompute_the_dashboard_shows_no_figure(client, demo):
    html = page(client)

    assert "Les chiffres régionaux n'ont pas encore été calculés." in html
    assert "48\xa0000,0" not in html
    assert "pas de donnée" in html
    ghg = chart_json(html, "graphique-objectif-cae-1-a")
    assert set(ghg["datasets"][0]["data"]) == {None}  # no aggregate value yet


def test_without_any_data_the_dashboard_is_an_empty_page_not_an_error(client, db):
    html = page(client)

    assert "Les objectifs régionaux ne sont pas encore saisis." in html
    assert "data-chart=" not in html


def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, demo_recomputed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page(client)


def test_the_dashboard_reads_aggregates_never_the_indicator_values(client, demo_recomputed):
    with CaptureQueriesContext(connection) as queries:
        page(client)

    sql = [query["sql"].lower() for query in queries.captured_queries]
    assert any("indicators_aggregate" in statement for statement in sql)
    assert not any("indicators_indicatorvalue" in statement for statement in sql)


def test_each_goal_says_what_share_of_the_region_its_latest_figure_covers(client, demo_recomputed):
    text = unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page(client))))

    # The demo enters the Observatoire's regional figures for the region itself: they
    # cover all its communes — said so, and never as a partial figure.
    assert text.count("Total du territoire : 5\xa0992\xa0194 habitants, toute sa population") == 3
    assert "Agrégat partiel" not in text


def test_a_regional_figure_from_part_of_the_region_is_not_the_regions_figure(
    client, demo_recomputed
):
    """A year only some territories reported sums part of the region: the goals are
    measured on the latest year covering the whole region, never on that partial sum."""
    from indicators.models import Aggregate

    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    emissions = Aggregate.objects.filter(scope=region, indicator__identifier="cae_1.a")
    latest = emissions.order_by("-year").first()
    emissions.filter(pk=latest.pk).update(covered_population=679134)

    goal = next(g for g in regional_goals(region) if g.goal.indicator.identifier == "cae_1.a")
    text = unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page(client))))

    assert goal.standing.latest_year < latest.year
    assert latest.year not in dict(goal.series)
    assert "679\xa0134 habitants" not in text
    assert "Total du territoire : 5\xa0992\xa0194 habitants, toute sa population" in text
