"""The indicator catalogue shipped with the project (``indicators/data/catalogue.csv``):
the ADEME référentiel identifiers the TRI goals need plus the TRI project indicators."""

import csv
from pathlib import Path

CATALOGUE_CSV = Path(__file__).resolve().parent / "data" / "catalogue.csv"
FIELDS = ["name", "unit", "theme", "direction", "aggregation", "formula", "is_key", "origin"]


def read_catalogue(path: Path = CATALOGUE_CSV) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["is_key"] = row["is_key"] == "1"
    return rows


def sync_catalogue(indicator_model, path: Path = CATALOGUE_CSV) -> tuple[int, int]:
    """Create or update every catalogue indicator (idempotent); returns (created, updated).

    Takes the model class so a data migration can pass its historical model."""
    created = updated = 0
    for row in read_catalogue(path):
        defaults = {field: row[field] for field in FIELDS}
        _, was_created = indicator_model.objects.update_or_create(
            identifier=row["identifier"], defaults=defaults
        )
        created += was_created
        updated += not was_created
    return created, updated
