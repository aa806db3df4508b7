"""Peer statistics (issue 20 §3): groups of the same kind and population band, figures
per inhabitant, quartiles as Python's ``statistics.quantiles``, never on fewer than 5
territories, ranks by the indicator's direction, written by the aggregate jobs."""

import statistics
from decimal import Decimal

import pytest

from indicators.aggregation import recompute_all, recompute_pending
from indicators.models import Indicator, PeerStatistic
from indicators.peer_groups import (
    MIN_PEERS,
    POPULATION_BANDS,
    band_of,
    figure_of,
    peer_kind,
)
from indicators.peers import peer_comparisons, rank_sentence, refresh_peer_statistics
from indicators.services import PublishedValue, publish_validated_values
from territories.models import EpciNature, Territory, TerritoryKind
from tests.indicators.factories import ValidatedValueFactory

pytestmark = pytest.mark.django_db

# Final energy (GWh) of seven communautés de communes of 20 000 to 50 000 inhabitants
# in 2020 (the first seven of the region by code), chosen so that the per-inhabitant
# figures are spread out.
ENERGY = ["700", "800", "650", "1200", "900", "500", "1000"]


@pytest.fixture
def ccs():
    """Seven CCs of the Hauts-de-France of 20 000 to 50 000 inhabitants (imported)."""
    found = list(
        Territory.objects.filter(
            kind=TerritoryKind.EPCI,
            epci_nature=EpciNature.CC,
            population__gte=20_000,
            population__lt=50_000,
        ).order_by("code")[:7]
    )
    assert len(found) == 7
    return found


def publish(territories, identifier, year, values):
    for territory, value in zip(territories, values, strict=True):
        ValidatedValueFactory(
            territory=territory, indicator=identifier, year=year, value=Decimal(value)
        )


def figures_by_hand(territories, values):
    """GWh → MWh per inhabitant: × 1 000 / population (floats, as compared)."""
    return [
        float(value) * 1000 / territory.population
        for territory, value in zip(territories, values, strict=True)
    ]


def stored(number) -> Decimal:
    return Decimal(number).quantize(Decimal("0.000001"))


def test_peer_kind_and_population_bands_follow_the_definitions():
    assert peer_kind("commune") == "commune"
    assert peer_kind("epci", "CC") == "cc"
    assert peer_kind("epci", "CA") == "ca"
    assert peer_kind("epci", "CU") == "cu"
    assert peer_kind("epci", "METRO") == "metropole"
    assert peer_kind("syndicat") == "syndicat"
    assert peer_kind("departement") is None
    assert peer_kind("region") is None
    # Lower bound inclusive.
    assert band_of(1_999) == "0-2000"
    assert band_of(2_000) == "2000-5000"
    assert band_of(19_999) == "5000-20000"
    assert band_of(20_000) == "20000-50000"
    assert band_of(49_999) == "20000-50000"
    assert band_of(250_000) == "250000+"
    assert band_of(None) is None
    assert [str(b.label) for b in POPULATION_BANDS][3] == "de 20 000 à 50 000 habitants"


def test_amounts_are_compared_per_inhabitant_and_shares_as_they_are():
    # 1 GWh for 1 000 inhabitants: 1 MWh each; 5 kteq CO2 for 2 000: 2.5 t each.
    assert figure_of("GWh", Decimal("1"), 1000) == Decimal("1")
    assert figure_of("kteq CO2", Decimal("5"), 2000) == Decimal("2.5")
    assert figure_of("MWh", Decimal("30000"), 10_000) == Decimal("3")
    assert figure_of("%", Decimal("12.5"), 10_000) == Decimal("12.5")
    assert figure_of("GWh", Decimal("1"), None) is None


def test_quartiles_equal_python_statistics_quantiles(ccs):
    publish(ccs, "cae_2.a", 2020, ENERGY)
    refresh_peer_statistics()
    stat = PeerStatistic.objects.get(
        indicator__identifier="cae_2.a", year=2020, peer_kind="cc", band="20000-50000", area="32"
    )
    figures = sorted(figures_by_hand(ccs, ENERGY))
    q1, median, q3 = statistics.quantiles(figures, n=4)
    assert stat.n == 7
    assert (stat.q1, stat.median, stat.q3) == (stored(q1), stored(median), stored(q3))
    assert (stat.min, stat.max) == (stored(figures[0]), stored(figures[-1]))
    assert stat.is_demo is False


def test_a_derived_share_is_computed_from_its_validated_components(ccs):
    energy = ENERGY[:5]
    renewable = ["70000", "40000", "130000", "60000", "90000"]  # MWh
    publish(ccs[:5], "cae_2.a", 2020, energy)
    publish(ccs[:5], "cae_3.a", 2020, renewable)
    refresh_peer_statistics()
    stat = PeerStatistic.objects.get(indicator__identifier="cae_3.b", year=2020, area="32")
    # val(cae_3.a)/1000/val(cae_2.a)*100: 10 %, 5 %, 20 %, 5 %, 10 %
    shares = sorted(
        Decimal(r) / 1000 / Decimal(e) * 100 for r, e in zip(renewable, energy, strict=True)
    )
    assert shares == [5, 5, 10, 10, 20]
    assert stat.median == Decimal("10")
    assert (stat.min, stat.max) == (Decimal(5), Decimal(20))


def test_no_statistic_on_fewer_than_five_territories(ccs):
    publish(ccs[:4], "cae_2.a", 2020, ENERGY[:4])
    refresh_peer_statistics()
    assert not PeerStatistic.objects.filter(indicator__identifier="cae_2.a").exists()
    comparison = peer_comparisons(ccs[0], [Indicator.objects.get(identifier="cae_2.a")])[0]
    year = comparison.years[2020]
    assert year.statistic is None
    assert year.rank is None
    assert rank_sentence(comparison, year) == (
        "comparaison non publiée : moins de 5 territoires comparables"
    )


def test_a_rank_needs_five_peers_besides_the_territory(ccs):
    publish(ccs[:5], "cae_2.a", 2020, ENERGY[:5])  # a group of 5: published…
    refresh_peer_statistics()
    assert PeerStatistic.objects.get(indicator__identifier="cae_2.a").n == MIN_PEERS
    energy = Indicator.objects.get(identifier="cae_2.a")
    [comparison] = peer_comparisons(ccs[0], [energy])
    year = comparison.years[2020]
    assert year.peers == 4
    assert not year.published
    assert year.rank is None


@pytest.mark.parametrize("identifier", ["cae_2.a", "cae_3.a"])  # lower, higher is better
def test_rank_respects_the_indicators_direction(ccs, identifier):
    values = ENERGY if identifier == "cae_2.a" else [str(int(v) * 100) for v in ENERGY]
    publish(ccs, identifier, 2020, values)
    refresh_peer_statistics()
    figures = figures_by_hand(ccs, values)
    indicator = Indicator.objects.get(identifier=identifier)
    lower_is_better = indicator.direction == "lower"
    order = sorted(range(7), key=lambda i: figures[i], reverse=not lower_is_better)
    for expected_rank, index in enumerate(order, start=1):
        [comparison] = peer_comparisons(ccs[index], [indicator])
        assert comparison.years[2020].rank == expected_rank
    best = peer_comparisons(ccs[order[0]], [indicator])[0]
    assert rank_sentence(best, best.years[2020]) == (
        "1er sur 7 communautés de communes de 20 000 à 50 000 habitants (2020)"
    )
    third = peer_comparisons(ccs[order[2]], [indicator])[0]
    assert rank_sentence(third, third.years[2020]).startswith("3e sur 7 ")


def test_the_full_recompute_writes_the_statistics_and_a_validation_updates_its_year(
    ccs, django_capture_on_commit_callbacks, eager_tasks
):
    # eager_tasks: the peer statistics are a job the run sends (a worker in production)
    publish(ccs[:6], "cae_2.a", 2020, ENERGY[:6])
    recompute_all()
    stat = PeerStatistic.objects.get(indicator__identifier="cae_2.a", year=2020)
    assert stat.n == 6
    staff = ccs[0].indicator_values.first().validated_by
    publish_validated_values(
        ccs[6],
        [PublishedValue(Indicator.objects.get(identifier="cae_2.a"), 2020, Decimal("1000"))],
        source="Observatoire",
        by=staff,
        is_demo=True,
    )
    recompute_pending()
    stat = PeerStatistic.objects.get(indicator__identifier="cae_2.a", year=2020)
    assert stat.n == 7
    assert stat.is_demo is True
    assert stat.median == stored(statistics.quantiles(figures_by_hand(ccs, ENERGY), n=4)[1])


STATISTIC_FIELDS = ("indicator", "year", "peer_kind", "band", "area", "n", "q1", "median", "q3")


def test_statistics_of_all_indicators_take_a_few_queries(ccs, django_assert_max_num_queries):
    publish(ccs, "cae_2.a", 2020, ENERGY)
    publish(ccs, "cae_2.a", 2021, ENERGY)
    # the regions (1), then per headline indicator (4): its first and last years (≤ 2),
    # the years gone (1), the number of communes (1), one read of every year, a delete
    # and an insert in a transaction with its savepoints (≤ 5): as many whatever the
    # number of territories
    with django_assert_max_num_queries(1 + 4 * (2 + 1 + 1 + 5)):
        refresh_peer_statistics()
    assert PeerStatistic.objects.count() == 2


def test_reading_communes_year_by_year_gives_the_same_statistics(ccs, monkeypatch):
    # All of France reads its 35 000 communes one year at a time (memory); a region
    # reads every year at once: the same statistics either way.
    communes = list(Territory.objects.communes().order_by("code")[:7])
    for territories in (ccs, communes):
        publish(territories, "cae_2.a", 2020, ENERGY)
        publish(territories, "cae_2.a", 2021, ENERGY)
    refresh_peer_statistics()
    at_once = sorted(PeerStatistic.objects.values_list(*STATISTIC_FIELDS))

    monkeypatch.setattr("indicators.peers.refresh.COMMUNES_READ_YEAR_BY_YEAR", 0)
    refresh_peer_statistics()

    assert sorted(PeerStatistic.objects.values_list(*STATISTIC_FIELDS)) == at_once
    assert {kind for _i, _y, kind, *_rest in at_once} == {"cc", "commune"}
