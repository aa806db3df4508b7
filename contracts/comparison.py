"""The comparison table across public contracts: for each, its territory, status,
population and, per headline indicator, its target's achievement (``indicators.
trajectory``) and alignment with the regional 2050 path (stored on the target).

A contract with several targets on one indicator (intermediate years) is shown with
its final one (the latest target year)."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from contracts.models import Contract, Target
from contracts.selectors import standings_of_targets
from kit.api.exports import Column, OpenDataTable, rounded

HEADLINE_INDICATORS = ["cae_2.a", "cae_1.a", "cae_3.a", "cae_3.b"]
ACHIEVEMENT_PLACES = 4  # a fraction: 0.1234 is 12.34 %


@dataclass
class Cell:
    """One headline indicator of one contract (``target`` is None without a target)."""

    target: Target | None = None
    achievement: Decimal | None = None
    latest_year: int | None = None


@dataclass
class Row:
    contract: Contract
    cells: dict[str, Cell]

    @property
    def population(self) -> int | None:
        return self.contract.territory.population

    @property
    def cell_list(self) -> list[Cell]:
        """The cells in the order of ``HEADLINE_INDICATORS`` (the columns)."""
        return [self.cells[identifier] for identifier in HEADLINE_INDICATORS]


@dataclass(frozen=True)
class SortLink:
    """A column header's link: ``?tri=`` of the link, and the ``aria-sort`` of the
    column (``none`` unless the table is sorted by it)."""

    query: str
    aria_sort: str


def sort_links(sort: str, descending: bool) -> dict[str, SortLink]:
    """For each sortable column, the link that sorts by it (or reverses the order
    when the table is already sorted by it)."""
    links = {}
    for key in SORTS:
        if key == sort:
            links[key] = SortLink(
                key if descending else f"-{key}", "descending" if descending else "ascending"
            )
        else:
            links[key] = SortLink(key, "none")
    return links


def _text(value) -> str:
    return str(value).casefold()


# Sort keys of ``?tri=`` (``-`` first: descending); values missing go last both ways.
SORTS = {
    "territoire": lambda row: _text(row.contract.territory.name),
    "statut": lambda row: _text(row.contract.get_status_display()),
    "population": lambda row: row.population,
    **{
        identifier: (lambda row, identifier=identifier: row.cells[identifier].achievement)
        for identifier in HEADLINE_INDICATORS
    },
}
DEFAULT_SORT = "territoire"


def read_sort(value: str | None) -> tuple[str, bool]:
    """``(key, descending)`` of a ``?tri=`` value; a bad value gives the default (as
    the contract list's filters: ignored, never an error)."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def comparison_rows(sort: str = DEFAULT_SORT, descending: bool = False) -> list[Row]:
    """Every public contract with its headline targets, sorted by ``sort`` (three
    queries: contracts, targets, validated values)."""
    contracts = list(Contract.objects.public().select_related("territory").order_by("pk"))
    targets = list(
        Target.objects.filter(contract__in=contracts, indicator__identifier__in=HEADLINE_INDICATORS)
        .select_related("indicator", "contract__territory")
        .order_by("contract_id", "indicator__identifier", "target_year")
    )
    final = {(t.contract_id, t.indicator.identifier): t for t in targets}  # latest year wins
    standings = standings_of_targets(final.values())
    rows = []
    for contract in contracts:
        cells = {}
        for identifier in HEADLINE_INDICATORS:
            target = final.get((contract.pk, identifier))
            if target is None:
                cells[identifier] = Cell()
                continue
            standing = standings[target.pk]
            cells[identifier] = Cell(target, standing.achievement, standing.latest_year)
        rows.append(Row(contract, cells))
    key = SORTS[sort]
    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    tie = SORTS[DEFAULT_SORT]
    present.sort(key=tie)
    present.sort(key=key, reverse=descending)
    missing.sort(key=tie)
    return present + missing


def _indicator_columns(identifier: str) -> tuple[Column, ...]:
    return (
        Column(
            f"{identifier}_realisation",
            f"Réalisation {identifier}",
            "number",
            "Part du chemin parcouru de la référence à l'objectif (0 à la référence, 1 à "
            "l'objectif) d'après la dernière valeur validée ; vide sans objectif ou sans valeur.",
        ),
        Column(
            f"{identifier}_annee",
            f"Dernière année validée {identifier}",
            "integer",
            "Année de la valeur validée d'où vient la réalisation.",
        ),
        Column(
            f"{identifier}_alignement",
            f"Alignement {identifier}",
            "string",
            "aligned, below, beyond ou vide (pas de trajectoire régionale ou pas d'objectif) : "
            "voir /methode/#alignement.",
        ),
    )


COMPARISON_CSV = OpenDataTable(
    name="comparaison-contrats",
    title="Comparaison des contrats d'objectifs TRI",
    description=(
        "Une ligne par contrat publié : territoire, statut, population et, pour chaque "
        "indicateur phare, la réalisation de son objectif final et son alignement sur la "
        "trajectoire régionale 2050."
    ),
    columns=(
        Column("id", "Identifiant du contrat", "integer", required=True),
        Column("reference", "Référence", "string", required=True),
        Column("territory_code", "Code officiel du territoire", "string"),
        Column("territory_name", "Territoire", "string"),
        Column("status", "Statut", "string"),
        Column("population", "Population", "integer", "Population du territoire."),
        *(column for i in HEADLINE_INDICATORS for column in _indicator_columns(i)),
        Column(
            "source",
            "Source",
            "string",
            "D'où viennent les chiffres de la ligne : les objectifs du contrat et les valeurs "
            "validées de son territoire.",
        ),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true : contrat fictif de la démonstration du portail ; false : contrat réel.",
            True,
        ),
    ),
    primary_key=("id",),
)


def comparison_csv_rows(rows: list[Row]):
    for row in rows:
        contract, territory = row.contract, row.contract.territory
        cells = []
        for identifier in HEADLINE_INDICATORS:
            cell = row.cells[identifier]
            cells += [
                rounded(cell.achievement, ACHIEVEMENT_PLACES),
                cell.latest_year,
                cell.target.alignment if cell.target else None,
            ]
        yield (
            contract.pk,
            contract.reference,
            territory.code,
            territory.name,
            contract.status,
            row.population,
            *cells,
            _("Contrat %(reference)s ; valeurs validées du territoire (portail TRI)")
            % {"reference": contract.reference},
            contract.is_demo,
        )
