"""The reporting calendar: which years a contract reports on, and by when — the one
definition that the officer space, the staff late list, the reminders, the import
(checks and template) and the report services use.

* A contract's years run from its *first year* — the earliest baseline year of its
  targets, else its start year — to its *last year*, the year it ends.
* A territory reports on each year once: a renewal (a later contract of the same
  territory) starts after the last year of the earlier ones (``earlier_last_year``),
  whatever its dates and baselines say — those years were reported, and validated,
  under the earlier contract.
* An officer may report on each of them up to the current year (``open_years``); the
  years before the start carry the baseline values.
* A report is *due* for each year the contract runs, from its start year to its end
  year (``due_years``), by ``deadline(year)``: ``settings.TRI_REPORT_DEADLINE`` (month,
  day) of the following year. A baseline year before the start is open but never due,
  so it has no deadline and is never late.
* The year an officer reports on now is last year, within the contract's years
  (``year_to_report``).

Which contracts report at all is ``contracts.models.REPORTING_STATUSES``."""

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from contracts.models import Contract


def earlier_last_year(contract: "Contract") -> int | None:
    """The last year of the territory's earlier contracts, reported under them (None for
    a first contract). Read from ``Contract.objects.with_earlier_last_year()`` when
    annotated, else one query (kept on the instance)."""
    if not hasattr(contract, "earlier_last_year"):
        contract.earlier_last_year = contract.earlier_contracts().aggregate(
            last=models.Max("end_date__year")
        )["last"]
    return contract.earlier_last_year


def _after_earlier(contract: "Contract", year: int) -> int:
    earlier = earlier_last_year(contract)
    return year if earlier is None else max(year, earlier + 1)


def first_year(contract: "Contract") -> int:
    """The earliest baseline year of the targets, else the start year — but never a year
    of an earlier contract of the territory (reads ``contract.targets.all()``: prefetch
    it for many contracts)."""
    years = [t.baseline_year for t in contract.targets.all()]
    return _after_earlier(contract, min([*years, contract.start_date.year]))


def last_year(contract: "Contract") -> int:
    return contract.end_date.year


def open_years(contract: "Contract", today: date) -> range:
    """The years an officer may report on ``today``."""
    return range(first_year(contract), min(last_year(contract), today.year) + 1)


def due_years(contract: "Contract") -> range:
    """The years whose report is due (each by its ``deadline``)."""
    return range(_after_earlier(contract, contract.start_date.year), contract.end_date.year + 1)


def deadline(year: int) -> date:
    """The report on ``year`` is due by this date of the following year."""
    month, day = settings.TRI_REPORT_DEADLINE
    return date(year + 1, month, day)


def due_date(contract: "Contract", year: int) -> date | None:
    """The deadline of ``contract``'s report on ``year``; None if that report is not due
    (a baseline year before the start)."""
    return deadline(year) if year in due_years(contract) else None


def is_late(due: date | None, status: str | None, today: date) -> bool:
    """A report is late when its deadline (``due``; None: not due) has passed and it has
    not been handed in (submitted or validated) — whatever its status otherwise: not
    started (``status`` None), draft or rejected."""
    from contracts.models import HANDED_IN_REPORT_STATUSES  # models import this module

    return due is not None and due < today and status not in HANDED_IN_REPORT_STATUSES


def year_to_report(contract: "Contract", today: date) -> int | None:
    """Last year, if it is one of the contract's years (None before the first one; the
    last one after the end)."""
    year = min(last_year(contract), today.year - 1)
    return year if year >= first_year(contract) else None


def check_report_year(contract: "Contract", year: int, today: date | None = None) -> None:
    """Refuse, with a French message, a year that is not open to a report."""
    today = today or timezone.localdate()
    if year > today.year:
        raise ValidationError(_("L'année %(year)s est dans le futur.") % {"year": year})
    earlier = earlier_last_year(contract)
    if earlier is not None and year <= earlier:
        raise ValidationError(
            _(
                "L'année %(year)s a déjà été rendue sous un contrat précédent de %(territory)s : "
                "le contrat %(ref)s rend compte à partir de %(first)s."
            )
            % {
                "year": year,
                "territory": contract.territory.name,
                "ref": contract.reference,
                "first": earlier + 1,
            }
        )
    first, last = first_year(contract), last_year(contract)
    if not first <= year <= last:
        raise ValidationError(
            _("L'année %(year)s est hors du contrat %(ref)s (années %(first)s à %(last)s).")
            % {"year": year, "ref": contract.reference, "first": first, "last": last}
        )
