"""Database states kept in memory and put back in a fraction of a second (PostgreSQL:
the suite's fast path for its two expensive states, the reference data and the demo).

Re-creating them costs seconds: the 3 800 territories re-imported after each test that
committed (pytest-django flushes every table after it), the demo loaded again through
the workflow services (≈ 10 s) by each module or browser test that uses it. Instead, a
state is copied once, table by table, with ``COPY … TO STDOUT`` (PostgreSQL's binary
format) into this process's memory, and put back by emptying every table and copying
the rows back in, in one transaction: the same rows with the same ids, in the current
transaction (so inside a rolled-back one, it is rolled back too). Sequences are never
reset (as with pytest-django's flush), so rows created later never reuse an id of the
snapshot."""

import io

from django.db import connection, transaction

# The official territories, the indicator catalogue and the themes (tests/conftest.py).
REFERENCE = "reference"
# The demo (``manage.py load_demo``) on top of it, then its aggregates (a full recompute).
DEMO, DEMO_RECOMPUTED = "demo", "demo_recomputed"
_saved: dict[str, dict[str, bytes]] = {}
# What ``COPY … (FORMAT binary)`` writes for an empty table: header and trailer.
_EMPTY_COPY_SIZE = 21


def supported() -> bool:
    """PostgreSQL through psycopg2 (``copy_expert``)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")


def _tables() -> list[str]:
    """Every table of the installed models (auto-created many-to-many tables included)."""
    return sorted(connection.introspection.django_table_names(only_existing=True))


def taken(name: str) -> bool:
    """Whether this process holds the snapshot ``name``."""
    return name in _saved


def take(name: str) -> None:
    """Copy the current content of every table (as this connection sees it) into the
    snapshot ``name``, replacing an older one."""
    quote, tables = connection.ops.quote_name, {}
    with connection.cursor() as cursor:
        for table in _tables():
            buffer = io.BytesIO()
            cursor.copy_expert(f"COPY {quote(table)} TO STDOUT (FORMAT binary)", buffer)
            if buffer.tell() > _EMPTY_COPY_SIZE:
                tables[table] = buffer.getvalue()
    _saved[name] = tables


def restore(name: str) -> None:
    """Replace the content of every table with the snapshot ``name``. The foreign keys
    Django creates are deferred: they are checked at the commit, on the whole set."""
    quote, saved = connection.ops.quote_name, _saved[name]
    with transaction.atomic(), connection.cursor() as cursor:
        # Rows inserted earlier in this transaction have their checks pending, which
        # TRUNCATE refuses: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in _tables()))
        for table, rows in saved.items():
            cursor.copy_expert(f"COPY {quote(table)} FROM STDIN (FORMAT binary)", io.BytesIO(rows))
