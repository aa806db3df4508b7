"""Writing the synthetic values: PostgreSQL's COPY (batched ``bulk_create`` on SQLite),
no history rows (4 million history rows would double the load for nothing: no person
entered them), a progress bar on the command's error stream."""

import csv
import io
from datetime import date, datetime, time

from django.db import connection
from django.utils import timezone

from contracts.models import ReportStatus
from indicators.models import IndicatorValue, ValueStatus
from kit.console import ProgressBar
from tri_portal.synthetic.series import INDICATORS, territory_values

SOURCE = "Données synthétiques (generate_synthetic)"
COPY_BATCH = 100_000

COLUMNS = [
    "territory_id",
    "indicator_id",
    "year",
    "value",
    "source",
    "comment",
    "status",
    "report_id",
    "is_demo",
    "entered_by_id",
    "entered_at",
    "validated_by_id",
    "validated_at",
    "justification",
    "self_corrected",
]


def value_rows(seed, territories, years, indicators, reports, user, existing):
    """One tuple per value, in COLUMNS order."""
    for territory in territories:
        series = territory_values(seed, territory.code, territory.population or 0, years)
        for spec, values in zip(INDICATORS, series, strict=True):
            indicator_id = indicators[spec.identifier]
            for year, value in zip(years, values, strict=True):
                if (territory.pk, indicator_id, year) in existing:
                    continue
                report = reports.get((territory.pk, year))
                validated = report is None or report.status == ReportStatus.VALIDATED
                entered = timezone.make_aware(datetime.combine(date(year + 1, 2, 1), time(9)))
                yield (
                    territory.pk,
                    indicator_id,
                    year,
                    value,
                    SOURCE,
                    "",
                    ValueStatus.VALIDATED if validated else ValueStatus.SUBMITTED,
                    report.pk if report else None,
                    True,
                    user.pk,
                    entered,
                    user.pk if validated else None,
                    entered if validated else None,
                    "",
                    False,
                )


def _copy(rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([r"\N" if cell is None else cell for cell in row])
    buffer.seek(0)
    table = IndicatorValue._meta.db_table
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )


def _bulk_create(rows: list[tuple]) -> None:
    IndicatorValue.objects.bulk_create(
        [IndicatorValue(**dict(zip(COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )


def write_values(rows, total: int, stream=None) -> int:
    write = _copy if connection.vendor == "postgresql" else _bulk_create
    written = 0
    batch = []
    with ProgressBar("Valeurs", total, stream) as bar:
        for row in rows:
            batch.append(row)
            if len(batch) == COPY_BATCH:
                write(batch)
                written += len(batch)
                bar.advance(len(batch))
                batch = []
        if batch:
            write(batch)
            written += len(batch)
            bar.advance(len(batch))
    return written
