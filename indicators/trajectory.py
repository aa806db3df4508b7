"""Trajectory maths of targets: where a value stands against the straight line from a
target's baseline to its target (pure Python, no Django, no database).

A target says: an indicator that was worth ``baseline`` in ``baseline_year`` must be worth
``target`` in ``target_year``. Depending on the indicator, a lower value is better (energy
consumption, emissions) or a higher value is better (renewable production): see
:class:`TargetDirection`.

Every number is a :class:`decimal.Decimal`; ``int`` is accepted as input and every numeric
result is a ``Decimal``. ``float`` is refused (``TypeError``) so that binary rounding never
leaks into the figures shown to the public. Years are plain ``int``.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
from collections.abc import Iterable
from decimal import Decimal

Number = Decimal | int

# Precision used for the least-squares sums: large enough for the sums of products of
# years and values to stay exact, so that the final ceiling is not skewed by rounding.
_FIT_PRECISION = 80


class TargetDirection(enum.StrEnum):
    """Which way is good for a target: always lower or higher.

    Its values are those of the stored ``indicators.models.Direction`` but for
    ``neutral``: an indicator may have no better way, a target always has one (for a
    neutral indicator, the target itself says which way it goes). Kept apart from the
    stored choices so that these maths stay free of Django."""

    LOWER = "lower"  # lower is better, e.g. energy consumption
    HIGHER = "higher"  # higher is better, e.g. renewable production


class TrackStatus(enum.StrEnum):
    """Position of the latest observation relative to the linear trajectory."""

    ON_TRACK = "on_track"
    LATE = "late"
    NO_DATA = "no_data"


@dataclasses.dataclass(frozen=True)
class TargetStanding:
    """Where one target stands: everything a page needs to show it against its trajectory.

    ``achievement`` is a fraction (0 at the baseline, 1 at the target), ``expected`` is the
    trajectory value in ``latest_year``. All fields but ``status`` are ``None`` when there
    is no observation.
    """

    achievement: Decimal | None
    expected: Decimal | None
    status: TrackStatus
    projected_year: int | None
    latest_year: int | None
    latest_value: Decimal | None


def target_direction(indicator_direction: str, baseline: Number, target: Number) -> TargetDirection:
    """Which way is good for a target of an indicator whose stored direction is
    ``indicator_direction`` ("lower", "higher" or "neutral"): the indicator's own, or for
    a neutral indicator the way the target itself goes (from ``baseline`` to ``target``)."""
    if indicator_direction in (TargetDirection.LOWER, TargetDirection.HIGHER):
        return TargetDirection(indicator_direction)
    if _dec(target, "target") >= _dec(baseline, "baseline"):
        return TargetDirection.HIGHER
    return TargetDirection.LOWER


def _dec(value: Number, name: str = "value") -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")


def _year(value: int, name: str = "year") -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def _is_at_least_as_good(direction: TargetDirection, value: Decimal, reference: Decimal) -> bool:
    if direction is TargetDirection.LOWER:
        return value <= reference
    return value >= reference


def _observations(series: Iterable[tuple[int, Number]]) -> list[tuple[int, Decimal]]:
    """Validate and sort ``(year, value)`` pairs by year (stable for equal years)."""
    points = [(_year(year), _dec(value)) for year, value in series]
    points.sort(key=lambda point: point[0])
    return points


def since_baseline(baseline_year: int, points: list[tuple[int, Decimal]]) -> list:
    """The observations a target is measured on: from its baseline year on."""
    return [(year, value) for year, value in points if year >= baseline_year]


def achievement(baseline: Number, target: Number, value: Number | None) -> Decimal | None:
    """Share of the way from ``baseline`` to ``target`` covered by ``value``.

    ``(value - baseline) / (target - baseline)``: 0 at the baseline, 1 at the target, more
    than 1 when the target is exceeded, negative when moving away from the target.
    Returns ``None`` when ``value`` is ``None`` or when ``target == baseline`` (no way to
    cover).
    """
    if value is None:
        return None
    baseline, target, value = _dec(baseline, "baseline"), _dec(target, "target"), _dec(value)
    span = target - baseline
    if span == 0:
        return None
    return (value - baseline) / span


def trajectory_value(
    baseline_year: int, baseline: Number, target_year: int, target: Number, year: int
) -> Decimal:
    """Value expected in ``year`` on the straight line from the baseline to the target.

    The line goes through ``(baseline_year, baseline)`` and ``(target_year, target)``. For a
    ``year`` outside ``[baseline_year, target_year]`` the line is extrapolated: before the
    baseline year it continues backwards, after the target year it keeps the same yearly
    pace (it does *not* stay flat at the target).

    Raises ``ValueError`` if ``target_year <= baseline_year``.
    """
    baseline_year = _year(baseline_year, "baseline_year")
    target_year = _year(target_year, "target_year")
    year = _year(year)
    if target_year <= baseline_year:
        raise ValueError(
            f"target_year ({target_year}) must be after baseline_year ({baseline_year})"
        )
    baseline, target = _dec(baseline, "baseline"), _dec(target, "target")
    # Multiply before dividing so that whole-year fractions stay exact.
    return baseline + (target - baseline) * (year - baseline_year) / (target_year - baseline_year)


def track_status(
    direction: TargetDirection | str, value: Number | None, expected: Number | None
) -> TrackStatus:
    """Compare an observed ``value`` with the ``expected`` trajectory value.

    ``NO_DATA`` when ``value`` (or ``expected``) is ``None``; ``ON_TRACK`` when ``value`` is
    at least as good as ``expected`` given the direction (equality counts as on track);
    ``LATE`` otherwise.
    """
    direction = TargetDirection(direction)
    if value is None or expected is None:
        return TrackStatus.NO_DATA
    if _is_at_least_as_good(direction, _dec(value), _dec(expected, "expected")):
        return TrackStatus.ON_TRACK
    return TrackStatus.LATE


def projected_year(
    direction: TargetDirection | str,
    baseline_year: int,
    baseline: Number,
    target: Number,
    series: Iterable[tuple[int, Number]],
    window: int = 5,
) -> int | None:
    """Calendar year in which the target would be reached at the current pace.

    ``series`` holds validated ``(year, value)`` observations, in any order (may be empty).

    Method: keep the last ``window`` observations by year. If fewer than 2 remain and the
    baseline point ``(baseline_year, baseline)`` is not among them, add it, so that a single
    observation still gives a pace (the line through the baseline and that observation).
    Fit ``value = a + b * year`` by ordinary least squares over those points.

    Returns:

    * the latest observation's year if that observation already reaches or passes the
      target (given the direction);
    * ``None`` if there is no observation, if the points span fewer than 2 distinct years,
      or if the fitted slope is zero or goes away from the target (upwards for ``LOWER``,
      downwards for ``HIGHER``);
    * otherwise the ceiling of the year where the fitted line reaches the target, but never
      earlier than the latest observation's year.

    Raises ``ValueError`` if ``window < 1``.
    """
    direction = TargetDirection(direction)
    window = _year(window, "window")
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    baseline_year = _year(baseline_year, "baseline_year")
    baseline, target = _dec(baseline, "baseline"), _dec(target, "target")

    observations = _observations(series)
    if not observations:
        return None
    latest_year, latest_value = observations[-1]
    if _is_at_least_as_good(direction, latest_value, target):
        return latest_year

    points = observations[-window:]
    if len(points) < 2 and (baseline_year, baseline) not in points:
        points.append((baseline_year, baseline))
    if len({year for year, _ in points}) < 2:
        return None

    with decimal.localcontext() as ctx:
        ctx.prec = _FIT_PRECISION
        n = Decimal(len(points))
        sum_x = sum((Decimal(x) for x, _ in points), Decimal(0))
        sum_y = sum((y for _, y in points), Decimal(0))
        sum_xx = sum((Decimal(x) * x for x, _ in points), Decimal(0))
        sum_xy = sum((Decimal(x) * y for x, y in points), Decimal(0))
        # slope b = slope_num / slope_den; slope_den > 0 since there are 2 distinct years.
        slope_num = n * sum_xy - sum_x * sum_y
        slope_den = n * sum_xx - sum_x * sum_x
        if slope_num == 0:
            return None
        going_down = slope_num < 0
        if going_down != (direction is TargetDirection.LOWER):
            return None
        # a + b * t = target  <=>  t = (n * target - sum_y) / (n * b) + sum_x / n
        #                         = ((n * target - sum_y) * slope_den + sum_x * slope_num)
        #                           / (n * slope_num)
        numerator = (n * target - sum_y) * slope_den + sum_x * slope_num
        denominator = n * slope_num
        # Rounding the single division towards +infinity keeps its ceiling exact.
        ctx.rounding = decimal.ROUND_CEILING
        year = (numerator / denominator).to_integral_value(rounding=decimal.ROUND_CEILING)
    return max(int(year), latest_year)


def evaluate(
    direction: TargetDirection | str,
    baseline_year: int,
    baseline: Number,
    target_year: int,
    target: Number,
    series: Iterable[tuple[int, Number]],
    window: int = 5,
) -> TargetStanding:
    """Where a target stands given its ``(year, value)`` observations (any order).

    Only observations from the baseline year on count: a value measured before the
    baseline says nothing about the way travelled since (see :func:`since_baseline`).
    The latest observation (greatest year; for equal years, the last one given) gives the
    achievement, the expected trajectory value for its year and the status; the whole series
    gives the projected year (see :func:`projected_year`). Without any observation, every
    field is ``None`` and the status is ``NO_DATA``.

    Raises ``ValueError`` if ``target_year <= baseline_year``, even without observations.
    """
    direction = TargetDirection(direction)
    baseline_year = _year(baseline_year, "baseline_year")
    target_year = _year(target_year, "target_year")
    if target_year <= baseline_year:
        raise ValueError(
            f"target_year ({target_year}) must be after baseline_year ({baseline_year})"
        )
    baseline, target = _dec(baseline, "baseline"), _dec(target, "target")
    observations = since_baseline(baseline_year, _observations(series))
    if not observations:
        return TargetStanding(
            achievement=None,
            expected=None,
            status=TrackStatus.NO_DATA,
            projected_year=None,
            latest_year=None,
            latest_value=None,
        )
    latest_year, latest_value = observations[-1]
    expected = trajectory_value(baseline_year, baseline, target_year, target, latest_year)
    return TargetStanding(
        achievement=achievement(baseline, target, latest_value),
        expected=expected,
        status=track_status(direction, latest_value, expected),
        projected_year=projected_year(
            direction, baseline_year, baseline, target, observations, window=window
        ),
        latest_year=latest_year,
        latest_value=latest_value,
    )


@dataclasses.dataclass(frozen=True)
class FinalOutcome:
    """Whether a target was met when its contract ended: ``met`` is ``None`` when no
    observation lies between the baseline year and the end year."""

    met: bool | None
    year: int | None
    value: Decimal | None


def final_outcome(
    direction: TargetDirection | str,
    baseline_year: int,
    target: Number,
    end_year: int,
    series: Iterable[tuple[int, Number]],
) -> FinalOutcome:
    """The latest observation from the baseline year to ``end_year`` (the year the
    contract ended) compared with the target value itself, not with the trajectory:
    met when it is at least as good. Later observations do not count."""
    direction = TargetDirection(direction)
    observations = [
        (year, value)
        for year, value in since_baseline(_year(baseline_year), _observations(series))
        if year <= _year(end_year, "end_year")
    ]
    if not observations:
        return FinalOutcome(met=None, year=None, value=None)
    year, value = observations[-1]
    return FinalOutcome(
        met=_is_at_least_as_good(direction, value, _dec(target, "target")),
        year=year,
        value=value,
    )


def evaluate_objective(objective, series: Iterable[tuple[int, Number]]) -> TargetStanding:
    """:func:`evaluate` for an objective object: a contract's target or one of the
    region's 2050 goals, both of which carry ``indicator.direction``,
    ``baseline_year``, ``baseline_value``, ``target_year`` and ``target_value`` — one
    rule for both."""
    return evaluate(
        target_direction(
            objective.indicator.direction, objective.baseline_value, objective.target_value
        ),
        objective.baseline_year,
        objective.baseline_value,
        objective.target_year,
        objective.target_value,
        series,
    )
