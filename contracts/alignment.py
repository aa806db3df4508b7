"""Alignment of the contracts' targets with their region's 2050 path, materialised on
``Target`` (``alignment``, the two paces, the gap).

:func:`refresh_alignments` is the only writer; ``contracts.stats.refresh_contract_stats``
calls it (after a status change and after every full aggregate recompute), so pages
read the stored figures and never compute them."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from contracts.models import ALIGNMENT_FIELDS, Target, TargetAlignment
from indicators.alignment import LinearPath, Path, align, paths_by_indicator
from indicators.models import VALUE_DECIMALS, RegionalGoal
from kit.cache import bump_data_version_on_commit
from kit.db import update_rows
from territories.models import TerritoryClosure, TerritoryKind

_STORED = Decimal(1).scaleb(-VALUE_DECIMALS)  # the decimals the fields keep
_PERCENT = Decimal(100)


def _stored(value: Decimal | None, factor: Decimal = Decimal(1)) -> Decimal | None:
    return None if value is None else (value * factor).quantize(_STORED)


def region_paths(territory_ids: Iterable[int]) -> dict[int, dict[str, Path]]:
    """``{territory: {indicator identifier: path}}``: the paths of the region each
    territory lies wholly in (its goals and the paths derived from them), in two
    queries."""
    region_of = dict(
        TerritoryClosure.objects.filter(
            descendant_id__in=set(territory_ids),
            ancestor__kind=TerritoryKind.REGION,
            contains_whole=True,
        ).values_list("descendant_id", "ancestor_id")
    )
    goals: dict[int, dict[str, LinearPath]] = defaultdict(dict)
    for region, identifier, *objective in RegionalGoal.objects.filter(
        territory_id__in=set(region_of.values())
    ).values_list(
        "territory_id",
        "indicator__identifier",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
    ):
        goals[region][identifier] = LinearPath(*objective)
    paths = {region: paths_by_indicator(found) for region, found in goals.items()}
    return {territory: paths.get(region, {}) for territory, region in region_of.items()}


WRITE_BATCH = 1000  # targets per UPDATE
_VALUE_FIELDS = [field for field in ALIGNMENT_FIELDS if field != "alignment_computed_at"]


def refresh_alignments(targets: QuerySet | None = None) -> int:
    """Recompute the alignment of ``targets`` (a queryset of ``Target``; every target by
    default) against their region's path and store what changed; stamp them all as
    computed. Three reads, one stamp and one write per ``WRITE_BATCH`` changed targets
    (none in the usual full run, where nothing changed). Returns the number of targets
    whose figures changed."""
    targets = Target.objects.all() if targets is None else targets
    rows = list(
        targets.values_list(
            "pk",
            "contract__territory_id",
            "indicator__identifier",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            *_VALUE_FIELDS,
        )
    )
    paths = region_paths({row[1] for row in rows})
    changed = []
    for pk, territory, identifier, baseline_year, baseline, target_year, target, *stored in rows:
        path = paths.get(territory, {}).get(identifier)
        result = align(path, baseline_year, baseline, target_year, target)
        figures = [
            result.alignment or TargetAlignment.NONE,
            _stored(result.committed_pace, _PERCENT),
            _stored(result.required_pace, _PERCENT),
            _stored(result.gap),
        ]
        if figures != stored:
            changed.append((pk, *figures))
    update_rows(Target, _VALUE_FIELDS, changed, WRITE_BATCH)
    if rows:
        Target.objects.filter(pk__in=targets.values("pk")).update(
            alignment_computed_at=timezone.now()
        )
    if changed:
        # A bulk write sends no post_save: say it to the public page cache ourselves
        # (this may run in a job after the commit that changed the target or goal).
        bump_data_version_on_commit()
    return len(changed)
