"""Reads of a contract's life: the targets in force in a year (its original targets
as changed by the amendments in force that year), the original targets, the verdict a
target earns at the end, the series of renewals and the validated baseline of a new
target. One home for each rule; the writes are in ``contracts.services.life``."""

import copy
from dataclasses import dataclass
from decimal import Decimal

from contracts.models import (
    AmendmentChange,
    AmendmentChangeKind,
    Contract,
    Target,
    Verdict,
)
from indicators.models import IndicatorValue
from indicators.trajectory import achievement, final_outcome, target_direction


def _changes(contract: Contract) -> list[AmendmentChange]:
    """The contract's amendment changes in the order they were applied (each amendment
    takes effect no earlier than the previous one: ``record_amendment``); read from
    ``amendments`` and their ``changes`` when prefetched."""
    changes = []
    for amendment in sorted(contract.amendments.all(), key=lambda a: (a.effective_year, a.pk)):
        for change in sorted(amendment.changes.all(), key=lambda c: c.pk):
            change.amendment = amendment
            changes.append(change)
    return changes


def _undo(current: list[Target], changes: list[AmendmentChange], contract) -> list[Target]:
    """The targets as they were before ``changes`` (applied in this order) were made."""
    by_ref = {target.pk: copy.copy(target) for target in current}
    for change in reversed(changes):
        if change.kind == AmendmentChangeKind.CHANGE_TARGET and change.target_ref in by_ref:
            target = by_ref[change.target_ref]
            target.target_year = change.old_target_year
            target.target_value = change.old_target_value
        elif change.kind == AmendmentChangeKind.ADD_TARGET:
            by_ref.pop(change.target_ref, None)
        elif change.kind == AmendmentChangeKind.REMOVE_TARGET:
            by_ref[change.target_ref] = Target(
                pk=change.target_ref,
                contract=contract,
                indicator=change.indicator,
                baseline_year=change.baseline_year,
                baseline_value=change.baseline_value,
                target_year=change.old_target_year,
                target_value=change.old_target_value,
            )
    return sorted(by_ref.values(), key=lambda t: (t.indicator.identifier, t.target_year, t.pk))


def targets_in_force(contract: Contract, year: int) -> list[Target]:
    """The contract's targets in force in ``year``: the original ones as changed by the
    amendments effective in ``year`` or before (unsaved copies keeping the target's id;
    a removed target keeps its former id). No query when ``targets__indicator``,
    ``amendments__changes__indicator`` are prefetched."""
    current = list(contract.targets.all())
    changes = _changes(contract)
    later = [change for change in changes if change.amendment.effective_year > year]
    if not later:
        return sorted(current, key=lambda t: (t.indicator.identifier, t.target_year, t.pk))
    return _undo(current, later, contract)


def original_targets(contract: Contract) -> list[Target]:
    """The targets as signed, before any amendment."""
    return _undo(list(contract.targets.all()), _changes(contract), contract)


def has_amendments(contract: Contract) -> bool:
    return bool(contract.amendments.all())


@dataclass(frozen=True)
class EndValue:
    """The verdict a target earns at the contract's end, on the last validated value
    from its baseline year to the end year."""

    verdict: str
    year: int | None
    value: Decimal | None


def computed_verdict(target: Target, end_year: int, series) -> EndValue:
    """Met when the last validated value up to ``end_year`` is at least as good as the
    target; partly met when it moved from the baseline towards the target without
    reaching it; not met otherwise (or without a value)."""
    direction = target_direction(
        target.indicator.direction, target.baseline_value, target.target_value
    )
    outcome = final_outcome(direction, target.baseline_year, target.target_value, end_year, series)
    if outcome.met:
        verdict = Verdict.MET
    elif (
        outcome.value is not None
        and (achievement(target.baseline_value, target.target_value, outcome.value) or 0) > 0
    ):
        verdict = Verdict.PARTLY_MET
    else:
        verdict = Verdict.NOT_MET
    return EndValue(verdict, outcome.year, outcome.value)


def contract_series(contract: Contract) -> list[Contract]:
    """The contract with its predecessors and successors, oldest first (a query per
    link: a series has a few contracts)."""
    series = [contract]
    current = contract
    while current.predecessor_id:
        current = Contract.objects.select_related("territory").get(pk=current.predecessor_id)
        series.insert(0, current)
    current = contract
    while (following := Contract.objects.filter(predecessor=current).first()) is not None:
        series.append(following)
        current = following
    return series


def validated_baseline(territory_id: int, indicator_id: int, year: int) -> Decimal | None:
    """The territory's validated value of ``indicator`` in ``year`` (None without one):
    what a new target's baseline is pre-filled with and checked against."""
    return (
        IndicatorValue.objects.validated()
        .filter(territory_id=territory_id, indicator_id=indicator_id, year=year)
        .values_list("value", flat=True)
        .first()
    )


def last_validated(territory_id: int, indicator_id: int) -> tuple[int, Decimal] | None:
    """The territory's last validated (year, value) of an indicator (a renewal's
    baseline), None without one."""
    return (
        IndicatorValue.objects.validated()
        .filter(territory_id=territory_id, indicator_id=indicator_id)
        .order_by("-year")
        .values_list("year", "value")
        .first()
    )


@dataclass
class TargetLife:
    """One target on the contract page: as signed (None: added by an amendment) and as
    in force (None: removed by an amendment)."""

    original: Target | None
    in_force: Target | None

    @property
    def current(self) -> Target:
        return self.in_force or self.original

    @property
    def indicator(self):
        return self.current.indicator

    @property
    def baseline_year(self):
        return self.current.baseline_year

    @property
    def baseline_value(self):
        return self.current.baseline_value


def in_force_year(contract: Contract, today) -> int:
    """The year whose targets a page shows as in force: this year, within the
    contract's years."""
    return max(min(today.year, contract.end_date.year), contract.start_date.year)


def contract_life(contract: Contract, today) -> dict:
    """What the contract pages show of its life: each target as signed and in force
    (``in_force_year``), the amendments with their changes, the final evaluation, the
    predecessor and successor. Prefetch ``targets__indicator``,
    ``amendments__changes__indicator`` first for a fixed number of queries."""
    originals = {t.pk: t for t in original_targets(contract)}
    in_force = {t.pk: t for t in targets_in_force(contract, in_force_year(contract, today))}
    rows = [TargetLife(originals.get(ref), in_force.get(ref)) for ref in {**originals, **in_force}]
    rows.sort(key=lambda row: (row.indicator.identifier, row.current.target_year))
    evaluation = getattr(contract, "final_evaluation", None) if contract.pk else None
    return {
        "rows": rows,
        "amended": any(
            row.original is None
            or row.in_force is None
            or (
                (row.original.target_year, row.original.target_value)
                != (row.in_force.target_year, row.in_force.target_value)
            )
            for row in rows
        ),
        "amendments": sorted(contract.amendments.all(), key=lambda a: (a.effective_year, a.number)),
        "evaluation": evaluation,
        "verdicts": list(evaluation.verdicts.select_related("indicator") if evaluation else []),
        "predecessor": contract.predecessor,
        "successor": Contract.objects.filter(predecessor=contract).first(),
    }


def public_series(contracts) -> list[list[Contract]]:
    """The renewal series (two contracts or more, oldest first) that ``contracts`` belong
    to, public contracts only (a draft renewal is not shown): one query for the whole
    region's linked contracts, whatever their number."""
    from django.db.models import Q

    linked = {
        c.pk: c
        for c in Contract.objects.public()
        .filter(Q(predecessor__isnull=False) | Q(successor__isnull=False))
        .select_related("territory")
    }
    following = {c.predecessor_id: c for c in linked.values() if c.predecessor_id in linked}
    series, seen = [], set()
    for contract in contracts:
        if contract.pk not in linked or contract.pk in seen:
            continue
        first = linked[contract.pk]
        while first.predecessor_id in linked:
            first = linked[first.predecessor_id]
        chain = [first]
        while chain[-1].pk in following:
            chain.append(following[chain[-1].pk])
        seen.update(c.pk for c in chain)
        if len(chain) > 1:
            series.append(chain)
    return series


def with_current_targets(contracts, standings: dict) -> list[Target]:
    """Set ``current_targets`` on each contract: the targets in force in the latest year
    evaluated (the latest ``standings`` year of its target rows, ``{target id:
    TargetStanding}``), the rows themselves without amendments. Returns the copies that
    differ from the rows (their standings must be computed again). Prefetch
    ``targets__indicator`` and ``amendments__changes__indicator``."""
    changed = []
    for contract in contracts:
        rows = list(contract.targets.all())
        if not has_amendments(contract):
            contract.current_targets = rows
            continue
        years = [
            standings[t.pk].latest_year
            for t in rows
            if t.pk in standings and standings[t.pk].latest_year is not None
        ]
        current = targets_in_force(contract, max(years, default=contract.start_date.year))
        for target in current:
            target.contract = contract
        contract.current_targets = current
        by_pk = {t.pk: t for t in rows}
        changed += [
            t
            for t in current
            if t.pk not in by_pk
            or (t.target_year, t.target_value)
            != (by_pk[t.pk].target_year, by_pk[t.pk].target_value)
        ]
    return changed
