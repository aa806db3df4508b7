"""Alignment of a target with the regional 2050 path: every expected number below is
computed by hand (``indicators.alignment``)."""

from decimal import Decimal

import pytest

from indicators.alignment import (
    ALIGNED_RATIO,
    BEYOND_RATIO,
    NO_ALIGNMENT,
    Alignment,
    LinearPath,
    ProductionPath,
    align,
    classify,
    pace,
    paths_by_indicator,
    required_pace,
)

# The regional energy path: R in 2012, 0.4 R in 2050 (−60 %), here R = 190 000 GWh.
# P(y) = R (1 − 0.6 (y − 2012) / 38): P(2015) = R × 36.2 / 38, P(2020) = R × 33.2 / 38,
# so the pace required from 2015 to 2020 is (33.2 / 36.2 − 1) / 5 = −0.6 / 36.2 = −3 / 181
# ≈ −1.657 %/an, whatever R.
ENERGY = LinearPath(2012, Decimal(190_000), 2050, Decimal(76_000))
REQUIRED_2015_2020 = Decimal(-3) / Decimal(181)

# Renewable share 10 % → 100 % and final energy 200 000 → 80 000 GWh (2012 → 2050):
# production P(2012) = 10 / 100 × 200 000 × 1000 = 20 000 000 MWh; in 2031 (half-way)
# share 55 %, energy 140 000 GWh, P(2031) = 77 000 000 MWh; required 2012 → 2031:
# (77 / 20 − 1) / 19 = 2.85 / 19 = 0.15 (+15 %/an).
SHARE = LinearPath(2012, Decimal(10), 2050, Decimal(100))
ENERGY_200K = LinearPath(2012, Decimal(200_000), 2050, Decimal(80_000))
PRODUCTION = ProductionPath(SHARE, ENERGY_200K)


def close(value, expected, places=12):
    return abs(value - expected) < Decimal(10) ** -places


def test_committed_pace_is_the_simple_relative_change_per_year():
    assert pace(2015, Decimal(1000), 2020, Decimal(900)) == Decimal("-0.02")
    assert pace(2015, 100, 2019, 150) == Decimal("0.125")


def test_pace_is_none_when_baseline_is_zero():
    assert pace(2015, 0, 2020, 10) is None


def test_pace_refuses_years_out_of_order_and_floats():
    with pytest.raises(ValueError, match="must be after"):
        pace(2020, 1, 2020, 2)
    with pytest.raises(TypeError):
        pace(2015, 1.0, 2020, 2)


def test_required_pace_of_the_energy_path_from_2015_to_2020():
    required = required_pace(ENERGY, 2015, 2020)
    assert close(required, REQUIRED_2015_2020)
    assert round(required * 100, 3) == Decimal("-1.657")


def test_target_1000_to_900_gwh_2015_2020_is_aligned_with_the_energy_path():
    result = align(ENERGY, 2015, Decimal(1000), 2020, Decimal(900))
    assert result.alignment is Alignment.ALIGNED
    assert result.committed_pace == Decimal("-0.02")
    assert close(result.required_pace, REQUIRED_2015_2020)
    # r = 0.02 × 181 / 3 = 1.20666…
    assert close(result.ratio, Decimal("3.62") / 3)
    assert round(result.ratio, 3) == Decimal("1.207")
    # Ahead of the path: 1000 × (−3/181 + 0.02) × 5 = 100 − 15000/181 ≈ 17.127 GWh ahead.
    assert close(result.gap, Decimal(15000) / 181 - 100, 9)
    assert round(result.gap, 3) == Decimal("-17.127")


def test_slower_target_is_below_the_path_with_its_shortfall_in_gwh():
    # 1000 → 960: −0.8 %/an; r = 0.008 × 181 / 3 ≈ 0.483.
    result = align(ENERGY, 2015, Decimal(1000), 2020, Decimal(960))
    assert result.alignment is Alignment.BELOW
    assert round(result.ratio, 3) == Decimal("0.483")
    # Short of the path: 1000 × 5 × (3/181 − 0.008) = 15000/181 − 40 ≈ 42.873 GWh.
    assert round(result.gap, 3) == Decimal("42.873")


def test_twice_as_fast_target_is_beyond_the_path():
    # 1000 → 800: −4 %/an; r = 0.04 × 181 / 3 ≈ 2.413.
    result = align(ENERGY, 2015, Decimal(1000), 2020, Decimal(800))
    assert result.alignment is Alignment.BEYOND
    assert round(result.ratio, 3) == Decimal("2.413")


def test_target_going_the_wrong_way_is_below_the_path():
    # 1000 → 1100: +2 %/an against −1.657 %/an required: r ≈ −1.207.
    result = align(ENERGY, 2015, Decimal(1000), 2020, Decimal(1100))
    assert result.alignment is Alignment.BELOW
    assert result.ratio < 0
    # Short by 1000 × 5 × (0.02 + 3/181) = 100 + 15000/181 ≈ 182.873 GWh.
    assert round(result.gap, 3) == Decimal("182.873")


def test_thresholds_one_and_one_and_a_half():
    assert (Decimal(1), Decimal("1.5")) == (ALIGNED_RATIO, BEYOND_RATIO)
    assert classify(Decimal("0.999")) is Alignment.BELOW
    assert classify(Decimal(1)) is Alignment.ALIGNED
    assert classify(Decimal("1.499")) is Alignment.ALIGNED
    assert classify(Decimal("1.5")) is Alignment.BEYOND
    assert classify(Decimal(-2)) is Alignment.BELOW
    assert classify(None) is None


def test_renewable_production_path_is_derived_from_share_and_energy_goals():
    assert PRODUCTION.value(2012) == Decimal(20_000_000)
    assert PRODUCTION.value(2031) == Decimal(77_000_000)
    assert required_pace(PRODUCTION, 2012, 2031) == Decimal("0.15")


def test_renewable_production_targets_against_the_derived_path():
    # 1000 → 3000 MWh over 2012–2031: +2/19 ≈ 10.53 %/an, r ≈ 0.702 → below.
    slow = align(PRODUCTION, 2012, Decimal(1000), 2031, Decimal(3000))
    assert slow.alignment is Alignment.BELOW
    assert round(slow.ratio, 3) == Decimal("0.702")
    # Short by 1000 × (0.15 − 2/19) × 19 = 2850 − 2000 = 850 MWh (a rising path).
    assert close(slow.gap, Decimal(850), 9)
    # 1000 → 4000 MWh: +3/19 ≈ 15.79 %/an, r ≈ 1.053 → aligned.
    fast = align(PRODUCTION, 2012, Decimal(1000), 2031, Decimal(4000))
    assert fast.alignment is Alignment.ALIGNED
    assert round(fast.ratio, 3) == Decimal("1.053")


def test_derived_path_only_when_both_goals_exist():
    both = paths_by_indicator({"cae_3.b": SHARE, "cae_2.a": ENERGY_200K})
    assert set(both) == {"cae_3.b", "cae_2.a", "cae_3.a"}
    assert both["cae_3.a"].value(2031) == Decimal(77_000_000)
    assert set(paths_by_indicator({"cae_3.b": SHARE})) == {"cae_3.b"}
    assert set(paths_by_indicator({"cae_2.a": ENERGY_200K})) == {"cae_2.a"}


def test_no_label_without_a_regional_goal():
    assert align(None, 2015, Decimal(1000), 2020, Decimal(900)) == NO_ALIGNMENT
    assert NO_ALIGNMENT.alignment is None
    assert NO_ALIGNMENT.committed_pace is None


def test_no_label_when_a_pace_cannot_be_computed():
    result = align(ENERGY, 2015, Decimal(0), 2020, Decimal(10))
    assert result.alignment is None
    assert result.gap is None
    flat = LinearPath(2012, Decimal(50), 2050, Decimal(50))
    result = align(flat, 2015, Decimal(1000), 2020, Decimal(900))
    assert result.alignment is None
    assert result.required_pace == 0
