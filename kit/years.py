"""The years the portal accepts for data (values, reports, filters, imports): one
definition, shared by every app and the API filters."""

YEAR_MIN, YEAR_MAX = 1990, 2100
