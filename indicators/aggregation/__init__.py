"""Regional aggregates without double counting (DESIGN.md, *Regional aggregates*).

For a scope S (region, département, syndicat or EPCI with members), an indicator and a
year, the candidates are the territories with a validated value lying inside S: S
itself and its members, transitively (the closure table), and for a région or a
département also every EPCI and syndicat whose communes all lie in it (an EPCI is not a
member of a département). A territory whose communes happen to lie inside a syndicat or
an EPCI without being one of its members is not a candidate there: membership, as
staff declare it, says what a grouping reports for. Walking candidates from the largest commune set down, a candidate is kept if
none of its communes is covered yet, skipped if all are (already counted), and recorded
as a *conflict* if it overlaps partially.

The modules, from what is computed to who runs it:

* ``plans``: which indicators are aggregated and how (sums, weighted means, ratios
  recomputed from their summed components), over which kinds of scope;
* ``greedy``: the rule above, literally — the reference, and the exact path for the
  scopes where territories overlap partially;
* ``fast_path``: the set-based SQL that gives the greedy walk's kept sets and sums for
  all indicators, scopes and years at once when territories nest (``sql``: the SQL
  fragments both share);
* ``writer``: the aggregate rows built from the fast path (partial overlaps redone by
  the greedy walk) and written in batches;
* ``runs``: a recompute — each indicator's rows replaced in one transaction under a
  lock on the indicator row, so readers never see a half-written set and concurrent
  recomputes serialise — and the run recorded;
* ``incremental``: the work a validation records, the run that handles only what it
  can change, and the concurrency protocol that keeps both exact.

Callers import from here: ``from indicators.aggregation import recompute_all``.
"""

from indicators.aggregation.fast_path import MASK_BITS, STAGES, fast_path_rows
from indicators.aggregation.greedy import (
    KIND_RANK,
    Selection,
    candidate_rows,
    communes_by_territory,
    greedy_selection,
)
from indicators.aggregation.incremental import (
    recompute_pending,
    record_pending,
    refresh_candidates,
)
from indicators.aggregation.plans import (
    POPULATION,
    PRECISION,
    SCOPE_KINDS,
    Plan,
    dependents_of,
    plan_for,
)
from indicators.aggregation.runs import (
    database_now,
    recompute,
    recompute_all,
    replace_aggregates,
)
from indicators.aggregation.sql import TABLES
from indicators.aggregation.writer import (
    MAX_KEPT_IDS,
    NULL_TEXT,
    WRITE_BATCH,
    AggregateRow,
    build_aggregates,
    write_rows,
)

__all__ = [
    "KIND_RANK",
    "MASK_BITS",
    "MAX_KEPT_IDS",
    "NULL_TEXT",
    "POPULATION",
    "PRECISION",
    "SCOPE_KINDS",
    "STAGES",
    "TABLES",
    "WRITE_BATCH",
    "AggregateRow",
    "Plan",
    "Selection",
    "build_aggregates",
    "candidate_rows",
    "communes_by_territory",
    "database_now",
    "dependents_of",
    "fast_path_rows",
    "greedy_selection",
    "plan_for",
    "recompute",
    "recompute_all",
    "recompute_pending",
    "record_pending",
    "refresh_candidates",
    "replace_aggregates",
    "write_rows",
]
