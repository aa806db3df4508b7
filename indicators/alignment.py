"""Alignment of a target with the regional 2050 path (pure Python, no Django, no database).

A target commits to a *pace*: its simple (not compound) relative change per year from its
baseline to its target. The region's path (its 2050 goal, linear from the reference year,
:func:`indicators.trajectory.trajectory_value`) requires a pace over the same years. Their
ratio labels the target (see :class:`Alignment`); the method page (``/methode/#alignement``)
says the same in French.

Paces are fractions per year (``Decimal("-0.02")`` is −2 %/an). Every number is a
:class:`decimal.Decimal` (``int`` accepted, ``float`` refused as in
:mod:`indicators.trajectory`).
"""

from __future__ import annotations

import dataclasses
import enum
from decimal import Decimal
from typing import Protocol

from indicators.trajectory import Number, _dec, _year, trajectory_value

# The thresholds of the ratio committed pace / required pace (one home: the labels, the
# method page and the tests read them here).
ALIGNED_RATIO = Decimal(1)  # from this ratio on, a target keeps the path's pace
BEYOND_RATIO = Decimal("1.5")  # from this ratio on, it goes 1.5 times as fast or faster

# A path derived from two goals: renewable production (MWh), which has no goal of its own,
# follows the renewable share goal (%) times the final energy goal (GWh):
# P_3a(y) = P_3b(y) / 100 × P_2a(y) × 1000.
DERIVED_PATHS: dict[str, tuple[str, str]] = {"cae_3.a": ("cae_3.b", "cae_2.a")}
_SHARE_TO_PRODUCTION = Decimal(1000) / Decimal(100)  # % of GWh → MWh


class Alignment(enum.StrEnum):
    """Where a target's pace stands against the pace the regional path requires."""

    BELOW = "below"  # ratio < ALIGNED_RATIO (includes a target going the wrong way)
    ALIGNED = "aligned"  # ALIGNED_RATIO <= ratio < BEYOND_RATIO
    BEYOND = "beyond"  # ratio >= BEYOND_RATIO


class Path(Protocol):
    """A regional path: a value for each year."""

    def value(self, year: int) -> Decimal: ...


@dataclasses.dataclass(frozen=True)
class LinearPath:
    """The straight line from a goal's (baseline_year, baseline) to (target_year, target)."""

    baseline_year: int
    baseline: Decimal
    target_year: int
    target: Decimal

    def value(self, year: int) -> Decimal:
        return trajectory_value(
            self.baseline_year, self.baseline, self.target_year, self.target, year
        )


@dataclasses.dataclass(frozen=True)
class ProductionPath:
    """Renewable production derived from the share and final energy paths:
    ``share(y) / 100 × energy(y) × 1000`` (MWh, from % and GWh)."""

    share: Path
    energy: Path

    def value(self, year: int) -> Decimal:
        return self.share.value(year) * self.energy.value(year) * _SHARE_TO_PRODUCTION


@dataclasses.dataclass(frozen=True)
class TargetAlignment:
    """A target against the path: paces are fractions per year, ``gap`` is in the
    indicator's unit (positive when the target falls short of the path). ``alignment``
    is ``None`` when a pace or the ratio cannot be computed."""

    alignment: Alignment | None
    committed_pace: Decimal | None
    required_pace: Decimal | None
    ratio: Decimal | None
    gap: Decimal | None


NO_ALIGNMENT = TargetAlignment(None, None, None, None, None)


def pace(baseline_year: int, baseline: Number, target_year: int, target: Number) -> Decimal | None:
    """Simple relative change per year: ``(target / baseline − 1) / (target_year −
    baseline_year)``; ``None`` when ``baseline`` is 0. Raises ``ValueError`` if
    ``target_year <= baseline_year``."""
    baseline_year, target_year = _year(baseline_year), _year(target_year)
    if target_year <= baseline_year:
        raise ValueError(
            f"target_year ({target_year}) must be after baseline_year ({baseline_year})"
        )
    baseline, target = _dec(baseline, "baseline"), _dec(target, "target")
    if baseline == 0:
        return None
    return (target / baseline - 1) / (target_year - baseline_year)


def required_pace(path: Path, start_year: int, end_year: int) -> Decimal | None:
    """The pace the path requires from ``start_year`` to ``end_year``:
    ``(P(end) / P(start) − 1) / (end − start)``; ``None`` when ``P(start)`` is 0."""
    return pace(start_year, path.value(start_year), end_year, path.value(end_year))


def classify(ratio: Decimal | None) -> Alignment | None:
    """The label of a ratio committed / required (``None`` gives ``None``)."""
    if ratio is None:
        return None
    if ratio < ALIGNED_RATIO:
        return Alignment.BELOW
    if ratio < BEYOND_RATIO:
        return Alignment.ALIGNED
    return Alignment.BEYOND


def shortfall(
    baseline: Number, committed: Decimal, required: Decimal, start_year: int, end_year: int
) -> Decimal:
    """What the target falls short of the path over its own years, in the indicator's
    unit: ``baseline × (required − committed) × years``, signed by the required pace so
    that a positive amount means short of the path (whichever way the path goes) and a
    negative one ahead of it."""
    years = _year(end_year) - _year(start_year)
    amount = _dec(baseline, "baseline") * (required - committed) * years
    return -amount if required < 0 else amount


def align(
    path: Path | None, baseline_year: int, baseline: Number, target_year: int, target: Number
) -> TargetAlignment:
    """A target (baseline and target, years and values) against ``path``: its label, its
    two paces, their ratio and its gap. No label without a path, when a pace cannot be
    computed (a baseline or path value of 0) or when the path requires no change."""
    if path is None:
        return NO_ALIGNMENT
    committed = pace(baseline_year, baseline, target_year, target)
    required = required_pace(path, baseline_year, target_year)
    if committed is None or required is None or required == 0:
        return TargetAlignment(None, committed, required, None, None)
    ratio = committed / required
    return TargetAlignment(
        alignment=classify(ratio),
        committed_pace=committed,
        required_pace=required,
        ratio=ratio,
        gap=shortfall(baseline, committed, required, baseline_year, target_year),
    )


def paths_by_indicator(goals: dict[str, LinearPath]) -> dict[str, Path]:
    """The paths of a region's goals (by indicator identifier) and those derived from
    them (:data:`DERIVED_PATHS`), when both of their inputs have a goal."""
    paths: dict[str, Path] = dict(goals)
    for identifier, (share, energy) in DERIVED_PATHS.items():
        if identifier not in paths and share in goals and energy in goals:
            paths[identifier] = ProductionPath(goals[share], goals[energy])
    return paths
