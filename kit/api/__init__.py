"""Building blocks of the REST API shared by the apps' viewsets (no app imported)."""
