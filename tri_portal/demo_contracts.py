"""Demo contracts: the six TRI objective contracts signed on 24 October 2017 and the
region's 2050 goals, with plausible (fictitious) yearly values 2015–2020.

Figures are sized on each territory's population and the regional reference figures
of DESIGN.md; every value is marked ``is_demo`` and sourced "Données de démonstration"."""

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

DEMO_SOURCE = "Données de démonstration (fictives) — ne pas réutiliser"
DEMO_JUSTIFICATION = "Variation fictive de la démonstration (pas une donnée réelle)."
SIGNED_ON = date(2017, 10, 24)
END = date(2020, 10, 23)
YEARS = range(2015, 2021)
SIGNATORIES = [
    ("ADEME Hauts-de-France", "Direction régionale"),
    ("Conseil régional Hauts-de-France", "Présidence"),
]


@dataclass
class Profile:
    """Energy (MWh/inhabitant), GHG (t/inhabitant) and renewable share in 2015, with
    yearly trends (fractions)."""

    energy_per_inhabitant: Decimal
    ghg_per_inhabitant: Decimal
    renewable_share: Decimal
    energy_trend: Decimal
    ghg_trend: Decimal
    renewable_growth: Decimal


@dataclass
class DemoContract:
    reference: str
    kind: str  # territory kind
    code: str
    title: str
    collectivity: str
    themes: list[str]
    summary: str
    profile: Profile
    # indicator identifier -> (target relative text or absolute value, values 2015..2020)
    theme_series: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    actions: list[tuple[str, str, int]] = field(default_factory=list)


def d(text: str) -> Decimal:
    return Decimal(text)


DEMO_CONTRACTS = [
    DemoContract(
        reference="COTRI-2017-ARRAS",
        kind="epci",
        code="200033579",
        title="Contrat d'objectifs TRI de la Communauté urbaine d'Arras",
        collectivity="Communauté urbaine d'Arras",
        themes=["batiment"],
        summary="Réhabilitation énergétique des bâtiments publics et privés du territoire.",
        profile=Profile(d("27"), d("6.5"), d("0.06"), d("-0.012"), d("-0.018"), d("0.07")),
        theme_series={
            "tri_logements_renoves": ("900", [0, 80, 190, 350, 520, 700]),
            "tri_surface_bat_publics_renovee": ("25000", [0, 2000, 5500, 11000, 17000, 24000]),
        },
        actions=[
            ("batiment", "Plateforme de rénovation énergétique de l'habitat privé", 450000),
            ("batiment", "Rénovation des groupes scolaires communautaires", 1800000),
        ],
    ),
    DemoContract(
        reference="COTRI-2017-ARC",
        kind="epci",
        code="200067965",
        title="Contrat d'objectifs TRI de l'Agglomération de la Région de Compiègne et de la Basse Automne",
        collectivity="Agglomération de la Région de Compiègne et de la Basse Automne",
        themes=["mobilite-decarbonee", "eclairage-public"],
        summary="Mobilité décarbonée et sobriété de l'éclairage public.",
        profile=Profile(d("26"), d("6.0"), d("0.08"), d("-0.015"), d("-0.022"), d("0.09")),
        theme_series={
            "tri_points_recharge_ve": ("80", [12, 18, 30, 45, 62, 84]),
            "tri_eclairage_public_conso": ("-30 %", [9000, 8800, 8300, 7600, 7000, 6500]),
        },
        actions=[
            ("mobilite-decarbonee", "Déploiement de bornes de recharge publiques", 600000),
            (
                "eclairage-public",
                "Passage de l'éclairage public en LED avec abaissement nocturne",
                2400000,
            ),
        ],
    ),
    DemoContract(
        reference="COTRI-2017-SAMBRE-AVESNOIS",
        kind="syndicat",
        code="999000003",
        title="Contrat d'objectifs TRI du Syndicat mixte du SCoT Sambre-Avesnois",
        collectivity="Syndicat mixte du SCoT Sambre-Avesnois",
        themes=["batiment", "energies-renouvelables", "adaptation"],
        summary=(
            "Réhabilitation thermique performante, développement des énergies renouvelables "
            "et adaptation au changement climatique, pour les quatre EPCI de l'arrondissement "
            "d'Avesnes-sur-Helpe."
        ),
        profile=Profile(d("32"), d("8.5"), d("0.09"), d("-0.010"), d("-0.015"), d("0.10")),
        theme_series={"tri_logements_renoves": ("1500", [0, 150, 380, 640, 900, 1150])},
        actions=[
            ("batiment", "Rénovation performante de logements sociaux et privés", 3200000),
            (
                "energies-renouvelables",
                "Schéma de développement des réseaux de chaleur bois",
                900000,
            ),
            ("adaptation", "Plan d'adaptation : gestion de l'eau et îlots de fraîcheur", 350000),
        ],
    ),
    DemoContract(
        reference="COTRI-2017-FOURMIES",
        kind="commune",
        code="59249",
        title="Contrat d'objectifs TRI de la Ville de Fourmies",
        collectivity="Ville de Fourmies",
        themes=["energies-renouvelables", "numerique", "circuits-courts", "batiment"],
        summary=(
            "Vers un territoire à énergie positive : énergies renouvelables, numérique, "
            "circuits courts et rénovation du patrimoine communal."
        ),
        profile=Profile(d("22"), d("5.2"), d("0.05"), d("-0.020"), d("-0.025"), d("0.15")),
        theme_series={
            "tri_surface_bat_publics_renovee": ("8000", [0, 600, 1800, 3500, 5200, 7400]),
            "tri_eclairage_public_conso": ("-40 %", [1100, 1080, 980, 850, 760, 690]),
        },
        actions=[
            (
                "energies-renouvelables",
                "Centrale photovoltaïque sur les toitures communales",
                420000,
            ),
            ("numerique", "Pilotage numérique des consommations des bâtiments", 120000),
            ("circuits-courts", "Approvisionnement local de la restauration scolaire", 60000),
        ],
    ),
    DemoContract(
        reference="COTRI-2017-GRANDE-SYNTHE",
        kind="commune",
        code="59271",
        title="Contrat d'objectifs TRI de la Ville de Grande-Synthe",
        collectivity="Ville de Grande-Synthe",
        themes=["transition-demonstrateur", "mobilite-decarbonee", "eclairage-public"],
        summary="Ville démonstrateur de la transition écologique, sociale et économique.",
        profile=Profile(d("45"), d("12"), d("0.04"), d("-0.008"), d("-0.012"), d("0.06")),
        theme_series={
            "tri_amenagements_cyclables": ("32", [18, 20, 23, 26, 29, 33]),
            "tri_eclairage_public_conso": ("÷2", [2300, 2250, 1900, 1600, 1350, 1200]),
        },
        actions=[
            ("transition-demonstrateur", "Quartier démonstrateur à faible consommation", 1500000),
            ("mobilite-decarbonee", "Continuités cyclables vers les zones d'emploi", 800000),
        ],
    ),
    DemoContract(
        reference="COTRI-2017-LENS-LIEVIN",
        kind="epci",
        code="246200364",
        title="Contrat d'objectifs TRI de la Communauté d'agglomération de Lens-Liévin",
        collectivity="Communauté d'agglomération de Lens-Liévin",
        themes=["batiment", "mobilite-decarbonee", "energies-renouvelables"],
        summary=(
            "Rénovation du parc de logements privés, mobilité décarbonée et énergies "
            "renouvelables sur le bassin minier."
        ),
        profile=Profile(d("24"), d("5.8"), d("0.05"), d("-0.016"), d("-0.020"), d("0.12")),
        theme_series={
            "tri_logements_renoves": ("2500", [0, 200, 500, 900, 1400, 1900]),
            "tri_points_recharge_ve": ("120", [20, 26, 40, 58, 80, 104]),
            "tri_amenagements_cyclables": ("+50 %", [60, 63, 68, 72, 77, 82]),
        },
        actions=[
            ("batiment", "Opération programmée d'amélioration de l'habitat minier", 5000000),
            (
                "energies-renouvelables",
                "Géothermie sur eau de mine et solaire sur terrils",
                2500000,
            ),
        ],
    ),
]

# The region's own 2050 goals (SRADDET reference year 2012) and regional values,
# consistent with DESIGN.md's reference figures (≈ 202 TWh in 2018, 48.0 Mt CO2e in 2021
# i.e. −18 % vs 2012, ≈ 29 TWh renewable production in 2021).
# The goals are the region's own (not a contract); its yearly values are published
# directly, validated by the Region, with this source.
REGION_GOALS_ADOPTED_BY = "SRADDET Hauts-de-France (2020)"
REGION_SOURCE = (
    "Données de démonstration (fictives), aux ordres de grandeur de "
    "l'Observatoire Climat Hauts-de-France"
)
REGION_VALUES = {
    # year: (final energy GWh, GHG kteq CO2, renewable production MWh)
    2012: (213000, 58540, 14900000),
    2015: (208500, 55800, 18500000),
    2016: (207000, 55100, 19800000),
    2017: (205500, 54300, 21600000),
    2018: (202000, 53000, 23400000),
    2019: (200500, 51900, 25500000),
    2020: (188000, 47200, 27000000),
    2021: (190000, 48000, 29000000),
}
REGION_GOALS = [("cae_2.a", "-60 %"), ("cae_1.a", "÷4"), ("cae_3.b", "100")]


def quantize(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def core_series(population: int, profile: Profile) -> dict[str, list[Decimal]]:
    """Energy (GWh), GHG (kteq CO2) and renewable production (MWh) for 2015..2020."""
    energy_2015 = population * profile.energy_per_inhabitant / 1000
    ghg_2015 = population * profile.ghg_per_inhabitant / 1000
    renewable_2015 = energy_2015 * 1000 * profile.renewable_share
    series: dict[str, list[Decimal]] = {"cae_2.a": [], "cae_1.a": [], "cae_3.a": []}
    for offset, _year in enumerate(YEARS):
        series["cae_2.a"].append(quantize(energy_2015 * (1 + profile.energy_trend) ** offset))
        series["cae_1.a"].append(quantize(ghg_2015 * (1 + profile.ghg_trend) ** offset))
        series["cae_3.a"].append(
            quantize(renewable_2015 * (1 + profile.renewable_growth) ** offset, "1")
        )
    return series


# --- Later generations, active on the day the demo is loaded --------------------------
#
# Renewals of four of the 2017 contracts and two new signatories. Their dates follow the
# day of loading (so the demo does not age): signed in the year before last, they run
# three years; their targets start from a baseline three years before last year and end
# with the contract. The baseline year and the next one were reported after signing,
# the year before last is the first year due, last year is the one to fill in now.


class ReportState:
    """Where a later contract's report on a year stands on the day of loading."""

    TODO = "todo"  # not opened yet: « à faire »
    DRAFT = "draft"  # opened, some values saved, not submitted
    SUBMITTED = "submitted"  # waiting in the staff queue
    REJECTED = "rejected"  # sent back with a reason
    VALIDATED = "validated"


@dataclass
class LaterContract:
    key: str  # the reference is COTRI-<start year>-<key>
    kind: str
    code: str
    title: str
    collectivity: str
    themes: list[str]
    summary: str
    signed: tuple[int, int]  # (month, day) of the year before last
    # energy (MWh/inhabitant), GHG (t/inhabitant), renewable share at the baseline year
    profile: tuple[Decimal, Decimal, Decimal]
    # cae_2.a, cae_1.a, cae_3.a: the change committed to by the target year
    goals: tuple[str, str, str]
    # indicator identifier -> (baseline value, goal)
    theme_targets: dict[str, tuple[int, str]]
    # the way travelled each year as a share of the trajectory's (1: on it)
    pace: Decimal
    # the reports on the year before last and on last year
    previous_year: str
    last_year: str
    actions: list[tuple[str, str, int]] = field(default_factory=list)
    renews: str = ""  # reference of the earlier contract, if a renewal

    def reference(self, start_year: int) -> str:
        return f"COTRI-{start_year}-{self.key}"


REJECTION_REASON = (
    "La consommation d'énergie finale baisse de plus de 10 % en un an sans explication : "
    "indiquez la source (bilan de l'observatoire régional) ou corrigez la valeur."
)

LATER_CONTRACTS = [
    LaterContract(
        key="ARRAS",
        kind="epci",
        code="200033579",
        title="Contrat d'objectifs TRI de la Communauté urbaine d'Arras (renouvellement)",
        collectivity="Communauté urbaine d'Arras",
        themes=["batiment", "energies-renouvelables"],
        summary="Massification de la rénovation et chaleur renouvelable dans les quartiers.",
        signed=(3, 14),
        profile=(d("25.2"), d("5.9"), d("0.085")),
        goals=("-9 %", "-12 %", "+45 %"),
        theme_targets={"tri_logements_renoves": (700, "1600")},
        pace=d("1.12"),
        previous_year=ReportState.VALIDATED,
        last_year=ReportState.TODO,
        actions=[("batiment", "Guichet unique de la rénovation de l'habitat", 520000)],
        renews="COTRI-2017-ARRAS",
    ),
    LaterContract(
        key="SAMBRE-AVESNOIS",
        kind="syndicat",
        code="999000003",
        title="Contrat d'objectifs TRI du Syndicat mixte du SCoT Sambre-Avesnois (renouvellement)",
        collectivity="Syndicat mixte du SCoT Sambre-Avesnois",
        themes=["batiment", "energies-renouvelables", "adaptation"],
        summary=(
            "Deuxième contrat : rénovation des logements, réseaux de chaleur bois et "
            "méthanisation agricole dans les quatre EPCI de l'Avesnois."
        ),
        signed=(2, 3),
        profile=(d("30.1"), d("7.6"), d("0.13")),
        goals=("-8 %", "-10 %", "+50 %"),
        theme_targets={"tri_logements_renoves": (1150, "2400")},
        pace=d("1.15"),
        previous_year=ReportState.VALIDATED,
        last_year=ReportState.TODO,
        actions=[
            ("energies-renouvelables", "Trois unités de méthanisation agricole", 1200000),
            ("batiment", "Rénovation performante de 1 250 logements", 3800000),
        ],
        renews="COTRI-2017-SAMBRE-AVESNOIS",
    ),
    LaterContract(
        key="FOURMIES",
        kind="commune",
        code="59249",
        title="Contrat d'objectifs TRI de la Ville de Fourmies (renouvellement)",
        collectivity="Ville de Fourmies",
        themes=["energies-renouvelables", "eclairage-public", "batiment"],
        summary="Territoire à énergie positive : solaire, sobriété de l'éclairage et patrimoine.",
        signed=(4, 2),
        profile=(d("19.8"), d("4.4"), d("0.10")),
        goals=("-10 %", "-12 %", "+60 %"),
        theme_targets={"tri_eclairage_public_conso": (690, "-30 %")},
        pace=d("1.8"),
        previous_year=ReportState.VALIDATED,
        last_year=ReportState.DRAFT,
        actions=[("eclairage-public", "Extinction nocturne et LED sur tout le réseau", 380000)],
        renews="COTRI-2017-FOURMIES",
    ),
    LaterContract(
        key="LENS-LIEVIN",
        kind="epci",
        code="246200364",
        title="Contrat d'objectifs TRI de la Communauté d'agglomération de Lens-Liévin (renouvellement)",
        collectivity="Communauté d'agglomération de Lens-Liévin",
        themes=["batiment", "mobilite-decarbonee"],
        summary="Rénovation de l'habitat minier et bornes de recharge sur le bassin.",
        signed=(5, 20),
        profile=(d("21.9"), d("5.1"), d("0.088")),
        goals=("-8 %", "-10 %", "+40 %"),
        theme_targets={"tri_points_recharge_ve": (104, "220")},
        pace=d("0.5"),
        previous_year=ReportState.DRAFT,
        last_year=ReportState.TODO,
        actions=[("mobilite-decarbonee", "Bornes de recharge dans les cités minières", 900000)],
        renews="COTRI-2017-LENS-LIEVIN",
    ),
    LaterContract(
        key="DOUAISIS",
        kind="epci",
        code="200044618",
        title="Contrat d'objectifs TRI de Douaisis Agglo",
        collectivity="Communauté d'agglomération Douaisis Agglo",
        themes=["mobilite-decarbonee", "batiment"],
        summary="Mobilité décarbonée et rénovation des bâtiments publics communautaires.",
        signed=(1, 25),
        profile=(d("27.5"), d("6.4"), d("0.07")),
        goals=("-8 %", "-10 %", "+40 %"),
        theme_targets={"tri_amenagements_cyclables": (95, "+30 %")},
        pace=d("0.55"),
        previous_year=ReportState.VALIDATED,
        last_year=ReportState.REJECTED,
        actions=[
            ("mobilite-decarbonee", "Réseau cyclable structurant de l'agglomération", 2100000)
        ],
    ),
    LaterContract(
        key="BEAUVAISIS",
        kind="epci",
        code="200067999",
        title="Contrat d'objectifs TRI de la Communauté d'agglomération du Beauvaisis",
        collectivity="Communauté d'agglomération du Beauvaisis",
        themes=["eclairage-public", "energies-renouvelables"],
        summary="Sobriété de l'éclairage public et solaire sur les toitures publiques.",
        signed=(3, 2),
        profile=(d("24.0"), d("5.6"), d("0.09")),
        goals=("-8 %", "-10 %", "+50 %"),
        theme_targets={"tri_eclairage_public_conso": (5200, "-35 %")},
        pace=d("1.4"),
        previous_year=ReportState.SUBMITTED,
        last_year=ReportState.TODO,
        actions=[("eclairage-public", "Rénovation de 6 000 points lumineux", 1600000)],
    ),
]

# Year-to-year noise, in shares of the way from baseline to target: a year effect shared
# by a contract's indicators (weather, economic activity) and a smaller one of each
# indicator, drawn from fixed seeds — the same at each load.
YEAR_NOISE, INDICATOR_NOISE = Decimal("0.025"), Decimal("0.01")
CORE_GOALS = ("cae_2.a", "cae_1.a", "cae_3.a")
COUNT_INDICATORS = {"tri_logements_renoves", "tri_points_recharge_ve"}


def noise(seed: str, amplitude: Decimal) -> Decimal:
    """A deterministic draw in [−amplitude, +amplitude] for ``seed``."""
    draw = random.Random(seed).uniform(-1, 1)
    return quantize(Decimal(str(draw)) * amplitude, "0.001")


def later_baselines(spec: LaterContract, population: int) -> dict[str, Decimal]:
    energy_per_inhabitant, ghg_per_inhabitant, share = spec.profile
    energy = quantize(population * energy_per_inhabitant / 1000)
    return {
        "cae_2.a": energy,
        "cae_1.a": quantize(population * ghg_per_inhabitant / 1000),
        "cae_3.a": quantize(energy * 1000 * share, "1"),
    }


def later_values(
    spec: LaterContract,
    baselines: dict,
    targets: dict,
    baseline_year: int,
    target_year: int,
    year: int,
) -> dict[str, Decimal]:
    """The values of ``year``: baseline + way to target × (pace × share of the trajectory's
    years gone by + noise); counts are whole numbers."""
    offset = year - baseline_year
    share = spec.pace * offset / (target_year - baseline_year)
    if offset:
        share += noise(f"{spec.key}/{offset}", YEAR_NOISE)
    values = {}
    for identifier, baseline in baselines.items():
        own = noise(f"{spec.key}/{identifier}/{offset}", INDICATOR_NOISE) if offset else 0
        value = baseline + (targets[identifier] - baseline) * (share + own)
        places = "1" if identifier in COUNT_INDICATORS or identifier == "cae_3.a" else "0.1"
        values[identifier] = quantize(value, places)
    return values


def later_references(today: date) -> dict[str, str]:
    """``{key: reference}`` of the later contracts loaded on ``today``."""
    return {spec.key: spec.reference(today.year - 2) for spec in LATER_CONTRACTS}
