"""Peer statistics (DESIGN.md, *Alignment and peers*; definitions in
``indicators.peer_groups``; method on /methode/#pairs).

* ``figures``: every territory's compared figure (two queries);
* ``refresh``: the statistics of every group, computed and stored by the aggregate
  jobs (``refresh_peer_statistics``);
* ``comparison``: a territory against its peers at page time (its rank, the rank
  sentence, the rows of the compact table).

Callers import from here: ``from indicators.peers import peer_comparisons``.
"""

from indicators.peers.comparison import (
    PeerComparison,
    PeerRow,
    PeerYear,
    peer_comparisons,
    peer_rows,
    rank_sentence,
    territory_area,
)
from indicators.peers.figures import Figure, figures, stored
from indicators.peers.refresh import (
    StatisticRow,
    compared_indicators,
    group_statistics,
    is_national,
    refresh_peer_statistics,
)

__all__ = [
    "Figure",
    "PeerComparison",
    "PeerRow",
    "PeerYear",
    "StatisticRow",
    "compared_indicators",
    "figures",
    "group_statistics",
    "is_national",
    "peer_comparisons",
    "peer_rows",
    "rank_sentence",
    "refresh_peer_statistics",
    "stored",
    "territory_area",
]
