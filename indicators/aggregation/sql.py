"""SQL fragments shared by the set-based fast path and the greedy rule's candidate
query: the tables read, the scopes, the population of a territory's communes. Plain SQL
that runs on PostgreSQL and SQLite alike; values are always passed as parameters.
"""

from indicators.aggregation.plans import SCOPE_KINDS
from indicators.models import IndicatorValue
from territories.models import Territory, TerritoryClosure, TerritoryOverlap

TABLES = {
    "t": Territory._meta.db_table,
    "c": TerritoryClosure._meta.db_table,
    "o": TerritoryOverlap._meta.db_table,
    "iv": IndicatorValue._meta.db_table,
}


def _in_list(column: str, values, params: list) -> str:
    values = list(values)
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _years_in(column: str, years: list[int], params: list) -> str:
    """``years`` are consecutive when all the years are computed: a range test is
    cheaper than a list over millions of values."""
    if years == list(range(years[0], years[-1] + 1)):
        params.extend([years[0], years[-1]])
        return f"{column} BETWEEN %s AND %s"
    return _in_list(column, years, params)


def _scopes(scopes, params: list) -> str:
    scope_where = [_in_list("s.kind", SCOPE_KINDS, params)]
    if scopes is not None:
        scope_where.append(_in_list("s.id", scopes, params))
    return f"""
        SELECT s.id AS id FROM {TABLES["t"]} s
        WHERE {" AND ".join(scope_where)}
          AND EXISTS (SELECT 1 FROM {TABLES["c"]} m WHERE m.ancestor_id = s.id AND m.depth > 0)"""


def _tpop(source: str, params: list) -> str:
    """Population of the communes of the territories of ``source``."""
    params.append(True)
    return f"""
        SELECT cp.ancestor_id AS territory_id, SUM(COALESCE(tc.population, 0)) AS population
        FROM {TABLES["c"]} cp JOIN {TABLES["t"]} tc ON tc.id = cp.descendant_id
        WHERE tc.kind = 'commune' AND cp.contains_whole = %s
          AND cp.ancestor_id IN (SELECT territory_id FROM {source})
        GROUP BY cp.ancestor_id"""
