"""Version 1 of the REST API: shared pieces (authentication, pagination, throttling,
errors, schema, open-data exports). Each app declares its serializers and viewsets in
its own ``api.py``."""
