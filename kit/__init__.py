"""The helper kit: small building blocks shared by every app (the public-data cache,
chart descriptions, sending Celery tasks safely, database functions, a console progress
bar, the API's base classes, exports, filters and parsers).

The kit is the lowest floor of the house: it imports no app of the project
(``territories``, ``indicators``, ``contracts``) and not the composition root
(``tri_portal``). The rule is checked by ``make lint`` (import-linter, pyproject.toml).
"""
