"""Admin of the contracts app, by concern: contracts (with their themes and
statistics), targets, progress reports and documents. Importing the package registers
every model admin."""

from contracts.admin import contracts, documents, reports, targets

__all__ = ["contracts", "documents", "reports", "targets"]
