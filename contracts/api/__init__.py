"""Read API of contracts and their quantified targets (with progress), and their
open-data exports — one module per part (``serializers``, ``contracts``, ``targets``),
the names the project uses re-exported here."""

from contracts.api.contracts import CONTRACTS, ContractViewSet
from contracts.api.targets import TARGETS, TargetViewSet

__all__ = ["CONTRACTS", "TARGETS", "ContractViewSet", "TargetViewSet"]
