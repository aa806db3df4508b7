"""Portable database functions (PostgreSQL and SQLite)."""

from django.db.models import Func, IntegerField


class JSONArrayLength(Func):
    """Number of items of a JSON array column."""

    function = "json_array_length"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="jsonb_array_length", **extra)
