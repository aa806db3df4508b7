"""Version 1 of the REST API as the portal assembles it: routes, authentication,
throttling, schema, tokens and the open-data catalogue. The building blocks the apps'
viewsets share (pagination, errors, exports, filters, parsers) are in ``kit.api``; each
app declares its serializers and viewsets in its own ``api.py``."""
