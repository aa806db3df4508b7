"""Read-side of the public contract pages: only signed, active or completed TRI
contracts, and only validated values."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.life import contract_life
from contracts.models import (
    JUDGED_ALIGNMENTS,
    NO_ALIGNMENT_FILTER,
    PUBLIC_STATUSES,
    Contract,
    ContractTheme,
    Target,
    TargetAlignment,
    alignment_filter_value,
)
from contracts.selectors import TargetRow, standings_of_targets, target_standings
from indicators.provenance import Provenance, series_and_provenances
from indicators.trajectory import trajectory_value
from kit.api.exports import Column, OpenDataTable, rounded
from kit.charts import target_chart
from kit.years import YEAR_MAX, YEAR_MIN
from territories.models import Territory, TerritoryKind

SUMMARY_INDICATORS = ["cae_2.a", "cae_1.a", "cae_3.b"]  # the three TRI goals
MAX_SEARCH = 100
SORTS = {
    "signature": ["-signed_on", "territory__name"],
    "territoire": ["territory__name", "-signed_on"],
    "population": ["-territory__population", "territory__name"],
}


@dataclass
class Filters:
    q: str = ""
    statut: str = ""
    departement: str = ""
    theme: str = ""
    annee: int | None = None
    type: str = ""
    alignement: str = ""  # aligned, below, beyond or none: a target so labelled
    tri: str = "signature"


def read_filters(params) -> Filters:
    """Bad values are ignored (the filter is reset), never an error."""
    filters = Filters(q=params.get("q", "").strip()[:MAX_SEARCH])
    if params.get("statut") in PUBLIC_STATUSES:
        filters.statut = params["statut"]
    if params.get("departement", "").strip():
        filters.departement = params["departement"].strip()[:3]
    if ContractTheme.objects.filter(slug=params.get("theme", "")).exists():
        filters.theme = params["theme"]
    year = params.get("annee", "")
    if len(year) == 4 and year.isascii() and year.isdigit() and YEAR_MIN <= int(year) <= YEAR_MAX:
        filters.annee = int(year)
    if params.get("type") in TerritoryKind.values:
        filters.type = params["type"]
    if alignment_filter_value(params.get("alignement", "")) is not None:
        filters.alignement = params["alignement"]
    if params.get("tri") in SORTS:
        filters.tri = params["tri"]
    return filters


def search_condition(text: str) -> Q:
    text = text.strip()
    return (
        Q(territory__name__icontains=text)
        | Q(territory__code=text)
        | Q(territory__siren=text)
        | Q(reference__icontains=text)
        | Q(title__icontains=text)
    )


def export_query(filters: Filters) -> str:
    """The API query string selecting the same contracts as the public list."""
    params = {
        "search": filters.q,
        "status": filters.statut,
        "departement": filters.departement,
        "theme": filters.theme,
        "signed_year": filters.annee or "",
        "territory_kind": filters.type,
        "alignment": filters.alignement,
    }
    return urlencode({name: value for name, value in params.items() if value})


def public_contracts(filters: Filters):
    contracts = Contract.objects.public().select_related("territory")
    if filters.q:
        contracts = contracts.filter(search_condition(filters.q))
    if filters.statut:
        contracts = contracts.filter(status=filters.statut)
    if filters.departement:
        contracts = contracts.filter(
            territory__ancestor_links__ancestor__kind=TerritoryKind.DEPARTEMENT,
            territory__ancestor_links__ancestor__code=filters.departement,
        )
    if filters.theme:
        contracts = contracts.filter(themes__slug=filters.theme)
    if filters.annee:
        contracts = contracts.filter(signed_on__year=filters.annee)
    if filters.type:
        contracts = contracts.filter(territory__kind=filters.type)
    if filters.alignement:
        labelled = Target.objects.filter(alignment=alignment_filter_value(filters.alignement))
        contracts = contracts.filter(pk__in=labelled.values("contract_id"))
    return contracts.distinct().order_by(*SORTS[filters.tri])


def with_summaries(contracts: list[Contract]) -> list[tuple[Contract, list[TargetRow]]]:
    """Each contract with where its targets stand on the three TRI indicators,
    in a fixed number of queries (themes, targets, values)."""
    contracts = list(contracts)
    targets = list(
        Target.objects.filter(contract__in=contracts, indicator__identifier__in=SUMMARY_INDICATORS)
        .select_related("indicator", "contract__territory")
        .order_by("indicator__identifier", "target_year")
    )
    themes = Contract.themes.through.objects.filter(contract__in=contracts).select_related(
        "contracttheme"
    )
    theme_map: dict[int, list] = {}
    for link in themes:
        theme_map.setdefault(link.contract_id, []).append(link.contracttheme)
    standings = standings_of_targets(targets)
    rows: dict[int, list[TargetRow]] = {}
    for target in targets:
        rows.setdefault(target.contract_id, []).append(TargetRow(target, standings[target.pk]))
    alignments = alignment_summaries(contracts)
    for contract in contracts:
        contract.theme_list = sorted(theme_map.get(contract.pk, []), key=lambda t: t.name)
        contract.alignment_summary = alignments.get(contract.pk)
    return [(contract, rows.get(contract.pk, [])) for contract in contracts]


@dataclass(frozen=True)
class AlignmentSummary:
    """How many of a contract's targets the regional path can judge, and how many of
    them are at least aligned (aligned or beyond), below the path."""

    judged: int
    at_least_aligned: int
    below: int


def alignment_summaries(contracts) -> dict[int, AlignmentSummary]:
    """``{contract id: summary}`` of the contracts having a judged target (one query)."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for contract_id, label in (
        Target.objects.filter(contract__in=contracts, alignment__in=JUDGED_ALIGNMENTS)
        .values_list("contract_id", "alignment")
        .order_by()
    ):
        counts[contract_id][label] += 1
    summaries = {}
    for contract_id, mine in counts.items():
        summaries[contract_id] = AlignmentSummary(
            judged=mine.total(),
            at_least_aligned=mine[TargetAlignment.ALIGNED] + mine[TargetAlignment.BEYOND],
            below=mine[TargetAlignment.BELOW],
        )
    return summaries


def alignment_choices() -> list[tuple[str, str]]:
    """The list filter's values (those of the API's ``alignment``) and labels."""
    return [
        *((str(value), TargetAlignment(value).label) for value in JUDGED_ALIGNMENTS),
        (NO_ALIGNMENT_FILTER, TargetAlignment.NONE.label),
    ]


def filter_choices() -> dict:
    return {
        "alignments": alignment_choices(),
        "departements": Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT).order_by("code"),
        "themes": ContractTheme.objects.order_by("name"),
        "years": Contract.objects.public()
        .filter(signed_on__isnull=False)
        .dates("signed_on", "year", order="DESC"),
        "kinds": [(k, label) for k, label in TerritoryKind.choices if k != TerritoryKind.REGION],
    }


def contract_page(contract: Contract) -> dict:
    contract = (
        Contract.objects.filter(pk=contract.pk)
        .select_related("territory", "predecessor")
        .prefetch_related(
            "signatories",
            Prefetch("actions__theme"),
            "themes",
            "targets__indicator",
            "amendments__changes__indicator",
        )
        .get()
    )
    rows = target_standings(contract)
    indicators = {row.target.indicator for row in rows}
    by_territory, provenances = series_and_provenances([contract.territory], indicators)
    series = by_territory[contract.territory.pk]
    charts = []
    for row in rows:
        target = row.target
        identifier = target.indicator.identifier
        row.provenance = provenances.get(
            (contract.territory.pk, identifier, row.standing.latest_year)
        )

        def trajectory(year, target=target):
            return trajectory_value(
                target.baseline_year,
                target.baseline_value,
                target.target_year,
                target.target_value,
                year,
            )

        chart = target_chart(
            f"objectif-{target.pk}",
            _("%(name)s : valeurs validées et trajectoire") % {"name": target.indicator.name},
            target.indicator.unit,
            target,
            series[identifier],
            trajectory,
            decimals=target.indicator.decimals,
        )
        chart.provenance = [
            provenances.get((contract.territory.pk, identifier, year)) for year in chart.years
        ]
        charts.append(chart)
    return {
        "contract": contract,
        "rows": list(zip(rows, charts, strict=True)),
        "life": contract_life(contract, timezone.localdate()),
        "provenances": provenances,
        "has_demo": contract.is_demo or any(p.is_demo for p in provenances.values()),
    }


CONTRACT_CSV = OpenDataTable(
    name="contrat",
    title="Données d'un contrat d'objectifs TRI",
    description=(
        "Les objectifs chiffrés du contrat (référence et cible) et les valeurs validées du "
        "territoire, arrondies à la précision de l'indicateur, avec leur source."
    ),
    columns=(
        Column("type", "Type de ligne", "string", "reference, objectif ou valeur_validee", True),
        Column("indicateur", "Identifiant de l'indicateur", "string", required=True),
        Column("nom", "Indicateur", "string", required=True),
        Column("unite", "Unité", "string", required=True),
        Column("annee", "Année", "integer", required=True),
        Column("valeur", "Valeur", "number", "Arrondie à la précision de l'indicateur.", True),
        Column(
            "source",
            "Source",
            "string",
            "Le contrat pour la référence et l'objectif ; la source déclarée d'une valeur "
            "validée, ou la formule d'un indicateur calculé.",
        ),
        Column(
            "validated_on",
            "Validée le",
            "date",
            "Date de validation d'une valeur (pour un indicateur calculé, celle de sa "
            "dernière composante validée) ; vide pour la référence et l'objectif.",
        ),
        Column(
            "validated_by",
            "Validée par",
            "string",
            "Organisation qui a validé la valeur (Région Hauts-de-France ou ADEME "
            "Hauts-de-France) ; vide si elle n'est pas connue.",
        ),
        Column(
            "alignement",
            "Alignement sur la trajectoire régionale",
            "string",
            "Sur la ligne de l'objectif : aligned, below (en deçà), beyond (au-delà) ou vide "
            "sans trajectoire régionale (méthode : /methode/#alignement).",
        ),
        Column(
            "rythme_engage",
            "Rythme engagé (%/an)",
            "number",
            "Sur la ligne de l'objectif : évolution relative simple par an, en %.",
        ),
        Column(
            "rythme_requis",
            "Rythme requis (%/an)",
            "number",
            "Sur la ligne de l'objectif : celui de la trajectoire régionale 2050 sur les "
            "mêmes années, en %.",
        ),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true : donnée fictive de la démonstration du portail ; false : donnée réelle.",
            True,
        ),
    ),
)


PAGE_PACE_PLACES = 2  # paces as the page shows them


def contract_csv_rows(contract: Contract) -> list[list]:
    """The data of the contract page (targets, then the validated values), each value
    rounded to its indicator's precision, with its provenance (CONTRACT_CSV's columns)."""
    rows = []
    page = contract_page(contract)
    provenances = page["provenances"]
    unknown = Provenance(_("Non précisée"), None, None, contract.is_demo)
    by_contract = _("Contrat %(reference)s") % {"reference": contract.reference}
    for row, chart in page["rows"]:
        target = row.target
        indicator = target.indicator
        described = [indicator.identifier, indicator.name, indicator.unit]
        alignment = [
            target.alignment,
            rounded(target.committed_pace, PAGE_PACE_PLACES),
            rounded(target.required_pace, PAGE_PACE_PLACES),
        ]
        for kind, year, value, aligned in (
            ("reference", target.baseline_year, target.baseline_value, [None] * 3),
            ("objectif", target.target_year, target.target_value, alignment),
        ):
            rows.append(
                [
                    kind,
                    *described,
                    year,
                    rounded(value, indicator.decimals),
                    by_contract,
                    None,
                    None,
                    *aligned,
                    contract.is_demo,
                ]
            )
        for year, values in chart.rows:
            if values[0] is not None:
                provenance = provenances.get(
                    (contract.territory.pk, indicator.identifier, year), unknown
                )
                rows.append(
                    [
                        "valeur_validee",
                        *described,
                        year,
                        rounded(Decimal(values[0]), indicator.decimals),
                        provenance.source,
                        provenance.on,
                        provenance.organisation.group if provenance.organisation else None,
                        None,
                        None,
                        None,
                        provenance.is_demo,
                    ]
                )
    return rows
