"""Where a figure comes from (DESIGN.md, *Honest figures*): its source, when it was
validated (or computed) and by which organisation, and whether it is demonstration data
— for a validated value, a value derived from validated components, and a materialised
aggregate. Pages show it through ``templates/includes/provenance.html``; the contract
CSV writes its columns."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from indicators.models import POPULATION_IDENTIFIER as POPULATION
from indicators.models import Aggregate, Indicator, IndicatorValue
from indicators.organisations import Organisation, organisation_named, organisation_subquery
from indicators.selectors import Series, series_of


@dataclass(frozen=True)
class Provenance:
    source: str
    at: datetime | None  # validated at (a value), computed at (an aggregate)
    organisation: Organisation | None  # who validated it (None: not known, or computed)
    is_demo: bool
    aggregate: bool = False  # computed by the portal from validated values
    corrected_at: datetime | None = None  # a validated value corrected since
    self_corrected: bool = False  # …by someone who had entered or validated it

    @property
    def corrected_on(self) -> date | None:
        return None if self.corrected_at is None else timezone.localdate(self.corrected_at)

    @property
    def on(self) -> date | None:
        """The day, in the portal's time zone."""
        return None if self.at is None else timezone.localdate(self.at)


# (territory id, indicator identifier, year) → provenance
Provenances = dict[tuple[int, str, int], Provenance]


def value_provenances(territories, indicators) -> Provenances:
    """The provenance of every validated value of these territories and indicators, in
    one query; a derived indicator's value (computed from its components) has its
    formula as source, the latest validation of its components, their organisation when
    they share one, and is demonstration data if one of them is."""
    return series_and_provenances(territories, indicators)[1]


def series_and_provenances(territories, indicators) -> tuple[dict[int, Series], Provenances]:
    """``validated_series_by_territory`` and ``value_provenances`` at once: one query."""
    territories, indicators = list(territories), list(indicators)
    needed = set()
    for indicator in indicators:
        needed.update(indicator.components if indicator.is_derived else [indicator.identifier])
    found: Provenances = {}
    by_territory: dict[int, dict[int, dict]] = {t.pk: defaultdict(dict) for t in territories}
    rows = (
        IndicatorValue.objects.validated()
        .filter(territory__in=territories, indicator__identifier__in=needed)
        .annotate(organisation=organisation_subquery("validated_by"))
        .values_list(
            "territory_id",
            "indicator__identifier",
            "year",
            "value",
            "source",
            "validated_at",
            "organisation",
            "is_demo",
            "corrected_at",
            "self_corrected",
        )
    )
    for row in rows:
        territory, identifier, year, value, source, at, organisation, demo, corrected, alone = row
        by_territory[territory][year][identifier] = value
        if identifier != POPULATION:
            found[territory, identifier, year] = Provenance(
                source or _("Non précisée"),
                at,
                organisation_named(organisation),
                demo,
                corrected_at=corrected,
                self_corrected=alone,
            )
    for indicator in indicators:
        if indicator.is_derived:
            found.update(_derived(indicator, found))
    series = {t.pk: series_of(t, indicators, by_territory[t.pk]) for t in territories}
    return series, found


def _derived(indicator: Indicator, stored: Provenances) -> Provenances:
    components = [c for c in indicator.components if c != POPULATION]
    parts: dict[tuple[int, int], list[Provenance]] = defaultdict(list)
    for (territory, identifier, year), provenance in stored.items():
        if identifier in components:
            parts[territory, year].append(provenance)
    found: Provenances = {}
    for (territory, year), provenances in parts.items():
        if len(provenances) < len(components):
            continue
        organisations = {p.organisation for p in provenances}
        found[territory, indicator.identifier, year] = Provenance(
            _("Calcul : %(formula)s") % {"formula": indicator.formula},
            max((p.at for p in provenances if p.at), default=None),
            organisations.pop() if len(organisations) == 1 else None,
            any(p.is_demo for p in provenances),
            corrected_at=max((p.corrected_at for p in provenances if p.corrected_at), default=None),
            self_corrected=any(p.self_corrected for p in provenances),
        )
    return found


def aggregate_provenance(aggregate: Aggregate) -> Provenance:
    """An aggregate is computed by the portal from the validated values of the
    territories it keeps."""
    return Provenance(
        ngettext(
            "Agrégat calculé par le portail à partir des valeurs validées de %(n)s territoire",
            "Agrégat calculé par le portail à partir des valeurs validées de %(n)s territoires",
            aggregate.contributors,
        )
        % {"n": aggregate.contributors},
        aggregate.computed_at,
        None,
        aggregate.is_demo,
        aggregate=True,
    )
