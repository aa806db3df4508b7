"""Trajectory maths of targets: every expected number below is computed by hand."""

from decimal import Decimal

import pytest

from indicators.models import Direction
from indicators.trajectory import (
    TargetDirection,
    TargetStanding,
    TrackStatus,
    achievement,
    evaluate,
    final_outcome,
    projected_year,
    track_status,
    trajectory_value,
)

# Energy consumption (GWh), lower is better: 1000 in 2015, 900 expected in 2020.
# Straight trajectory: -20 GWh per year.
ENERGY = {"baseline_year": 2015, "baseline": Decimal("1000"), "target": Decimal("900")}

# Renewable production (MWh), higher is better: 100 in 2015, 150 expected in 2020.
# Straight trajectory: +10 MWh per year.
RENEWABLES = {"baseline_year": 2015, "baseline": Decimal("100"), "target": Decimal("150")}


# --- enums -----------------------------------------------------------------------------


def test_target_directions_are_the_stored_directions_but_neutral():
    """A target always has a better way; an indicator may have none (neutral)."""
    assert {d.value for d in TargetDirection} == set(Direction.values) - {Direction.NEUTRAL}


def test_enum_values_are_the_stored_strings():
    assert TargetDirection.LOWER == "lower"
    assert TargetDirection.HIGHER == "higher"
    assert TargetDirection("lower") is TargetDirection.LOWER
    assert TrackStatus.ON_TRACK == "on_track"
    assert TrackStatus.LATE == "late"
    assert TrackStatus.NO_DATA == "no_data"
    assert isinstance(TargetDirection.LOWER, str)
    assert str(TargetDirection.HIGHER) == "higher"
    assert str(TrackStatus.LATE) == "late"


# --- achievement -----------------------------------------------------------------------


def test_energy_halfway_to_target_is_half_achieved():
    # (950 - 1000) / (900 - 1000) = -50 / -100 = 0.5
    assert achievement(Decimal("1000"), Decimal("900"), Decimal("950")) == Decimal("0.5")


def test_renewables_achievement_is_a_fraction_of_the_increase():
    # (135 - 100) / (150 - 100) = 35 / 50 = 0.7
    assert achievement(Decimal("100"), Decimal("150"), Decimal("135")) == Decimal("0.7")


def test_achievement_is_zero_at_baseline_and_one_at_target():
    assert achievement(Decimal("1000"), Decimal("900"), Decimal("1000")) == Decimal("0")
    assert achievement(Decimal("1000"), Decimal("900"), Decimal("900")) == Decimal("1")


def test_exceeded_target_gives_achievement_above_one():
    # (880 - 1000) / (900 - 1000) = -120 / -100 = 1.2
    assert achievement(Decimal("1000"), Decimal("900"), Decimal("880")) == Decimal("1.2")


def test_moving_away_from_target_gives_negative_achievement():
    # (1020 - 1000) / (900 - 1000) = 20 / -100 = -0.2
    assert achievement(Decimal("1000"), Decimal("900"), Decimal("1020")) == Decimal("-0.2")
    # (90 - 100) / (150 - 100) = -10 / 50 = -0.2
    assert achievement(Decimal("100"), Decimal("150"), Decimal("90")) == Decimal("-0.2")


def test_target_equal_to_baseline_has_no_achievement():
    assert achievement(Decimal("500"), Decimal("500"), Decimal("480")) is None


def test_missing_value_has_no_achievement():
    assert achievement(Decimal("1000"), Decimal("900"), None) is None


def test_integers_are_accepted_and_decimals_returned():
    result = achievement(1000, 900, 950)
    assert isinstance(result, Decimal)
    assert result == Decimal("0.5")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        achievement(Decimal("1000"), Decimal("900"), 950.0)


# --- trajectory ------------------------------------------------------------------------


def test_energy_trajectory_in_2018_is_940():
    # 1000 + (900 - 1000) * (2018 - 2015) / (2020 - 2015) = 1000 - 60 = 940
    expected = trajectory_value(2015, Decimal("1000"), 2020, Decimal("900"), 2018)
    assert isinstance(expected, Decimal)
    assert expected == Decimal("940")


def test_renewables_trajectory_in_2018_is_130():
    # 100 + 50 * 3 / 5 = 130
    assert trajectory_value(2015, Decimal("100"), 2020, Decimal("150"), 2018) == Decimal("130")


def test_trajectory_hits_baseline_and_target_at_their_years():
    assert trajectory_value(2015, Decimal("1000"), 2020, Decimal("900"), 2015) == Decimal("1000")
    assert trajectory_value(2015, Decimal("1000"), 2020, Decimal("900"), 2020) == Decimal("900")


def test_trajectory_keeps_non_whole_yearly_pace():
    # 1000 + (990 - 1000) * 1 / 3 = 996.666...
    value = trajectory_value(2015, Decimal("1000"), 2018, Decimal("990"), 2016)
    assert value.quantize(Decimal("0.0001")) == Decimal("996.6667")


def test_trajectory_is_extrapolated_after_target_year():
    # 1000 - 20 * (2022 - 2015) = 860: the pace continues, no plateau at 900.
    assert trajectory_value(2015, Decimal("1000"), 2020, Decimal("900"), 2022) == Decimal("860")


def test_trajectory_is_extrapolated_before_baseline_year():
    # 1000 - 20 * (2013 - 2015) = 1040
    assert trajectory_value(2015, Decimal("1000"), 2020, Decimal("900"), 2013) == Decimal("1040")


@pytest.mark.parametrize("target_year", [2015, 2010])
def test_trajectory_rejects_target_year_not_after_baseline_year(target_year):
    with pytest.raises(ValueError, match="target_year"):
        trajectory_value(2015, Decimal("1000"), target_year, Decimal("900"), 2018)


# --- track status ----------------------------------------------------------------------


def test_energy_above_trajectory_is_late():
    # 950 GWh in 2018 while 940 were expected: too much consumption.
    assert track_status(TargetDirection.LOWER, Decimal("950"), Decimal("940")) is TrackStatus.LATE


def test_energy_below_trajectory_is_on_track():
    assert (
        track_status(TargetDirection.LOWER, Decimal("930"), Decimal("940")) is TrackStatus.ON_TRACK
    )


def test_value_equal_to_trajectory_is_on_track():
    assert (
        track_status(TargetDirection.LOWER, Decimal("940"), Decimal("940")) is TrackStatus.ON_TRACK
    )
    assert (
        track_status(TargetDirection.HIGHER, Decimal("130"), Decimal("130")) is TrackStatus.ON_TRACK
    )


def test_renewables_above_trajectory_is_on_track():
    # 135 MWh in 2018 while 130 were expected.
    assert (
        track_status(TargetDirection.HIGHER, Decimal("135"), Decimal("130")) is TrackStatus.ON_TRACK
    )


def test_renewables_below_trajectory_is_late():
    assert track_status(TargetDirection.HIGHER, Decimal("125"), Decimal("130")) is TrackStatus.LATE


def test_missing_value_has_no_data_status():
    assert track_status(TargetDirection.LOWER, None, Decimal("940")) is TrackStatus.NO_DATA


def test_track_status_accepts_stored_direction_string():
    assert track_status("higher", Decimal("135"), Decimal("130")) is TrackStatus.ON_TRACK


# --- projected year --------------------------------------------------------------------


def test_single_observation_projects_through_baseline():
    # Line through (2015, 1000) and (2017, 980): -10 per year, 900 reached in 2015 + 10.
    series = [(2017, Decimal("980"))]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2025


def test_single_observation_projection_is_rounded_up_to_a_calendar_year():
    # Line through (2015, 1000) and (2017, 970): -15 per year,
    # 900 reached at 2015 + 100 / 15 = 2021.67 -> 2022.
    series = [(2017, Decimal("970"))]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2022


def test_renewables_single_observation_projection():
    # Line through (2015, 100) and (2017, 110): +5 per year, 150 reached in 2015 + 50 / 5.
    series = [(2017, Decimal("110"))]
    assert projected_year(TargetDirection.HIGHER, series=series, **RENEWABLES) == 2025


def test_exceeded_target_projects_latest_observation_year():
    series = [(2017, Decimal("960")), (2019, Decimal("880"))]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2019


def test_target_exactly_reached_projects_latest_observation_year():
    series = [(2016, Decimal("120")), (2018, Decimal("150"))]
    assert projected_year(TargetDirection.HIGHER, series=series, **RENEWABLES) == 2018


def test_energy_series_going_up_has_no_projection():
    series = [(2016, Decimal("1010")), (2017, Decimal("1020"))]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) is None


def test_renewables_series_going_down_has_no_projection():
    series = [(2016, Decimal("95")), (2017, Decimal("90"))]
    assert projected_year(TargetDirection.HIGHER, series=series, **RENEWABLES) is None


def test_flat_series_has_no_projection():
    series = [(2016, Decimal("980")), (2017, Decimal("980")), (2018, Decimal("980"))]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) is None


def test_empty_series_has_no_projection():
    assert projected_year(TargetDirection.LOWER, series=[], **ENERGY) is None


def test_single_observation_in_baseline_year_has_no_projection():
    # (2015, 990) plus the baseline point (2015, 1000): a single distinct year.
    assert projected_year(TargetDirection.LOWER, series=[(2015, Decimal("990"))], **ENERGY) is None
    # The observation is the baseline point itself: not added twice, one point only.
    assert projected_year(TargetDirection.LOWER, series=[(2015, Decimal("1000"))], **ENERGY) is None


def test_least_squares_uses_the_last_five_points_of_a_longer_series():
    # 2015-2019 are perfectly linear (-10 per year, 1000 in 2015): 900 reached in 2025.
    # The erratic 2010-2014 points would change the fit if they were used.
    # The series is given out of order on purpose.
    series = [
        (2019, Decimal("960")),
        (2012, Decimal("2000")),
        (2015, Decimal("1000")),
        (2010, Decimal("500")),
        (2017, Decimal("980")),
        (2014, Decimal("3000")),
        (2016, Decimal("990")),
        (2011, Decimal("700")),
        (2018, Decimal("970")),
        (2013, Decimal("100")),
    ]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2025


def test_least_squares_fit_of_scattered_points():
    # Points 2016..2019 = 1000, 980, 990, 960. Mean year 2017.5, mean value 982.5.
    # Deviations: years -1.5, -0.5, 0.5, 1.5; values 17.5, -2.5, 7.5, -22.5.
    # Sxy = -26.25 + 1.25 + 3.75 - 33.75 = -55; Sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5.
    # Slope -11; 900 reached at 2017.5 + (982.5 - 900) / 11 = 2017.5 + 7.5 = 2025 exactly.
    series = [
        (2016, Decimal("1000")),
        (2017, Decimal("980")),
        (2018, Decimal("990")),
        (2019, Decimal("960")),
    ]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2025


def test_window_limits_the_points_of_the_fit():
    series = [
        (2016, Decimal("990")),
        (2017, Decimal("970")),
        (2018, Decimal("960")),
        (2019, Decimal("950")),
    ]
    # All four points: mean year 2017.5, mean value 967.5; value deviations 22.5, 2.5, -7.5,
    # -17.5; Sxy = -33.75 - 1.25 - 3.75 - 26.25 = -65; Sxx = 5; slope -13.
    # 900 reached at 2017.5 + 67.5 / 13 = 2022.69 -> 2023.
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2023
    # Last two points only: -10 per year from 950 in 2019, 900 reached in 2024.
    assert projected_year(TargetDirection.LOWER, series=series, window=2, **ENERGY) == 2024
    # Last point only: line through (2015, 1000) and (2019, 950), -12.5 per year,
    # 900 reached at 2015 + 100 / 12.5 = 2023.
    assert projected_year(TargetDirection.LOWER, series=series, window=1, **ENERGY) == 2023


def test_window_must_be_positive():
    with pytest.raises(ValueError, match="window"):
        projected_year(TargetDirection.LOWER, series=[(2017, Decimal("980"))], window=0, **ENERGY)


def test_projection_is_never_before_latest_observation_year():
    # Points 2016..2018 = 1000, 700, 901 (latest still above 900). Mean year 2017, mean 867.
    # Sxy = -1 * 133 + 1 * 34 = -99; Sxx = 2; slope -49.5.
    # Fitted line reaches 900 at 2017 - 33 / 49.5 = 2016.33 -> 2017, moved to 2018.
    series = [(2016, Decimal("1000")), (2017, Decimal("700")), (2018, Decimal("901"))]
    assert projected_year(TargetDirection.LOWER, series=series, **ENERGY) == 2018


def test_projection_accepts_integers_and_direction_string():
    assert projected_year("lower", 2015, 1000, 900, [(2017, 980)]) == 2025


# --- evaluate --------------------------------------------------------------------------


def test_evaluate_energy_late_series():
    # Latest observation 2018 = 950: achievement 0.5, expected 940, late.
    # 2016..2018 = 980, 965, 950 are linear (-15 per year): 900 reached at
    # 2018 + 50 / 15 = 2021.33 -> 2022.
    series = [(2018, Decimal("950")), (2016, Decimal("980")), (2017, Decimal("965"))]
    standing = evaluate(TargetDirection.LOWER, 2015, Decimal("1000"), 2020, Decimal("900"), series)
    assert standing == TargetStanding(
        achievement=Decimal("0.5"),
        expected=Decimal("940"),
        status=TrackStatus.LATE,
        projected_year=2022,
        latest_year=2018,
        latest_value=Decimal("950"),
    )


def test_evaluate_renewables_on_track_single_observation():
    # 2018 = 135: achievement 35 / 50 = 0.7, expected 130, on track.
    # Line through (2015, 100) and (2018, 135): 35 / 3 per year,
    # 150 reached at 2015 + 50 * 3 / 35 = 2019.29 -> 2020.
    standing = evaluate(
        "higher", 2015, Decimal("100"), 2020, Decimal("150"), [(2018, Decimal("135"))]
    )
    assert standing.achievement == Decimal("0.7")
    assert standing.expected == Decimal("130")
    assert standing.status is TrackStatus.ON_TRACK
    assert standing.projected_year == 2020
    assert standing.latest_year == 2018
    assert standing.latest_value == Decimal("135")


def test_evaluate_exceeded_target():
    # 2019 = 880: achievement 1.2, expected 1000 - 20 * 4 = 920, on track, reached in 2019.
    series = [(2017, Decimal("960")), (2019, Decimal("880"))]
    standing = evaluate(TargetDirection.LOWER, 2015, Decimal("1000"), 2020, Decimal("900"), series)
    assert standing.achievement == Decimal("1.2")
    assert standing.expected == Decimal("920")
    assert standing.status is TrackStatus.ON_TRACK
    assert standing.projected_year == 2019


def test_evaluate_without_observation_has_no_data():
    standing = evaluate(TargetDirection.LOWER, 2015, Decimal("1000"), 2020, Decimal("900"), [])
    assert standing == TargetStanding(
        achievement=None,
        expected=None,
        status=TrackStatus.NO_DATA,
        projected_year=None,
        latest_year=None,
        latest_value=None,
    )


def test_evaluate_accepts_a_generator_series():
    series = ((year, value) for year, value in [(2017, Decimal("980"))])
    standing = evaluate(TargetDirection.LOWER, 2015, Decimal("1000"), 2020, Decimal("900"), series)
    # 1000 - 20 * 2 = 960 expected; 980 is above: late. Projection 2025 (-10 per year).
    assert standing.expected == Decimal("960")
    assert standing.status is TrackStatus.LATE
    assert standing.projected_year == 2025


def test_evaluate_rejects_target_year_not_after_baseline_year():
    with pytest.raises(ValueError, match="target_year"):
        evaluate(TargetDirection.LOWER, 2020, Decimal("1000"), 2020, Decimal("900"), [])


# --- values older than the baseline ------------------------------------------------------


def test_a_value_older_than_the_baseline_does_not_count():
    # Baseline 2023: a value of 2020 says nothing about the way since 2023.
    result = evaluate(
        TargetDirection.LOWER, 2023, Decimal("1000"), 2026, Decimal("900"), [(2020, Decimal("728"))]
    )

    assert result == TargetStanding(
        achievement=None,
        expected=None,
        status=TrackStatus.NO_DATA,
        projected_year=None,
        latest_year=None,
        latest_value=None,
    )


def test_only_values_from_the_baseline_year_on_give_the_standing_and_the_pace():
    series = [(2020, Decimal("500")), (2021, Decimal("400")), (2023, Decimal("1000"))]
    series.append((2024, Decimal("980")))

    result = evaluate(TargetDirection.LOWER, 2023, Decimal("1000"), 2026, Decimal("900"), series)

    # 2024: (980 - 1000) / (900 - 1000) = 0.2; pace of 2023-2024: -20/year → 900 in 2028
    assert (result.latest_year, result.achievement, result.projected_year) == (
        2024,
        Decimal("0.2"),
        2028,
    )


@pytest.mark.parametrize(
    ("direction", "series", "expected"),
    [
        # Lower is better, target 900: the last value up to the end year decides.
        ("lower", [(2018, 950), (2020, 900)], (True, 2020, Decimal(900))),  # exactly met
        ("lower", [(2019, 880), (2021, 990)], (True, 2019, Decimal(880))),  # 2021 too late
        ("lower", [(2020, 901)], (False, 2020, Decimal(901))),
        ("lower", [(2016, 800)], (None, None, None)),  # only before the baseline year
        ("lower", [], (None, None, None)),
        # Higher is better, target 900.
        ("higher", [(2020, 950)], (True, 2020, Decimal(950))),
        ("higher", [(2020, 899)], (False, 2020, Decimal(899))),
    ],
)
def test_final_outcome_compares_the_value_at_the_end_with_the_target(direction, series, expected):
    outcome = final_outcome(direction, 2017, Decimal(900), 2020, series)

    assert (outcome.met, outcome.year, outcome.value) == expected
