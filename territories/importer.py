"""Import of the official *découpage administratif* (Etalab, COG 2026), vendored in
``territories/data/``. Nothing is written unless the whole data set reads and checks."""

import hashlib
import json
import lzma
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kit.cache import bump_data_version
from kit.console import ProgressBar
from territories.models import ImportRun, Membership, Territory, TerritoryKind
from territories.services import BATCH_SIZE, rebuild_closure

DATA_DIR = Path(__file__).resolve().parent / "data" / "decoupage-administratif-6.0.0"
DATA_FILES = ("regions.json", "departements.json", "communes.json", "epci.json")
CURRENT_COMMUNE = "commune-actuelle"
UPSERT_FIELDS = [
    "name",
    "siren",
    "epci_nature",
    "population",
    "population_year",
    "listed_population",
    "updated_at",
]


class TerritoryDataError(Exception):
    """The reference data or the requested scope is unusable; the message is for humans."""


@dataclass
class DataPackage:
    """The vendored Etalab data package: its version, vintage and checksum, and the
    records of each of its files."""

    version: str
    vintage: str
    population_year: int
    checksum: str
    records: dict[str, list[dict]]


@dataclass
class Scope:
    """The territories and official memberships one import brings."""

    label: str
    territories: list[Territory] = field(default_factory=list)
    memberships: set[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=set)
    # EPCI code -> INSEE codes of its member communes the scope does not bring.
    communes_outside: dict[str, set[str]] = field(default_factory=dict)


def load_package(data_dir: Path = DATA_DIR) -> DataPackage:
    try:
        manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
        expected = manifest["files"]
    except FileNotFoundError as exc:
        raise TerritoryDataError(f"Manifeste des données introuvable : {exc.filename}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise TerritoryDataError(f"Manifeste des données illisible : {data_dir}") from exc
    records = {}
    for name in DATA_FILES:
        path = data_dir / f"{name}.xz"
        try:
            raw = lzma.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise TerritoryDataError(f"Fichier de données introuvable : {path}") from exc
        except lzma.LZMAError as exc:
            raise TerritoryDataError(
                f"Fichier de données corrompu (xz illisible) : {path}"
            ) from exc
        if hashlib.sha256(raw).hexdigest() != expected.get(name):
            raise TerritoryDataError(
                f"Fichier de données corrompu (empreinte SHA-256 différente du manifeste) : {path}"
            )
        try:
            records[name.removesuffix(".json")] = json.loads(raw)
        except ValueError as exc:
            raise TerritoryDataError(f"Fichier de données illisible (JSON) : {path}") from exc
    checksum = hashlib.sha256(json.dumps(expected, sort_keys=True).encode()).hexdigest()
    return DataPackage(
        version=f"{manifest['package']}@{manifest['version']}",
        vintage=manifest["vintage"],
        population_year=int(manifest["population_year"]),
        checksum=checksum,
        records=records,
    )


def build_scope(package: DataPackage, region_code: str | None) -> Scope:
    """Select one region (its départements, current communes and every EPCI with a
    member commune there) or, with ``region_code=None``, all of France."""
    records = package.records
    regions = records["regions"]
    if region_code is not None:
        known = sorted(r["code"] for r in regions)
        if region_code not in known:
            raise TerritoryDataError(
                f"Région inconnue : « {region_code} ». Codes disponibles : {', '.join(known)}."
            )
        regions = [r for r in regions if r["code"] == region_code]
    region_codes = {r["code"] for r in regions}
    departements = [d for d in records["departements"] if d["region"] in region_codes]
    departement_codes = {d["code"] for d in departements}
    communes = [
        c
        for c in records["communes"]
        if c.get("type") == CURRENT_COMMUNE and c.get("departement") in departement_codes
    ]
    commune_codes = {c["code"] for c in communes}
    epcis = [e for e in records["epci"] if any(m["code"] in commune_codes for m in e["membres"])]

    year = package.population_year
    scope = Scope(label=f"region:{region_code}" if region_code else "all")
    for r in regions:
        scope.territories.append(
            _territory(
                TerritoryKind.REGION,
                r["code"],
                r["nom"],
                None,  # the sum of its communes' (refresh_populations)
                year,
            )
        )
    for d in departements:
        scope.territories.append(
            _territory(
                TerritoryKind.DEPARTEMENT,
                d["code"],
                d["nom"],
                None,  # the sum of its communes' (refresh_populations)
                year,
            )
        )
        scope.memberships.add(
            ((TerritoryKind.REGION, d["region"]), (TerritoryKind.DEPARTEMENT, d["code"]))
        )
    for c in communes:
        scope.territories.append(
            _territory(
                TerritoryKind.COMMUNE,
                c["code"],
                c["nom"],
                c.get("population"),
                year,
                siren=c.get("siren", ""),
            )
        )
        scope.memberships.add(
            ((TerritoryKind.DEPARTEMENT, c["departement"]), (TerritoryKind.COMMUNE, c["code"]))
        )
    for e in epcis:
        # Its population is the sum of its communes' in the portal (refresh_populations);
        # the official list's figure is kept when some of its communes are not imported
        # (an inter-regional EPCI seen from one region): the pages then say both.
        outside = {m["code"] for m in e["membres"] if m["code"] not in commune_codes}
        epci = _territory(
            TerritoryKind.EPCI,
            e["code"],
            e["nom"],
            None,
            year,
            siren=e["code"],
            epci_nature=e["type"],
        )
        if outside:
            epci.listed_population = e.get("populationMunicipale")
            scope.communes_outside[e["code"]] = outside
        scope.territories.append(epci)
        for member in e["membres"]:
            if member["code"] in commune_codes:
                scope.memberships.add(
                    ((TerritoryKind.EPCI, e["code"]), (TerritoryKind.COMMUNE, member["code"]))
                )
    return scope


def _territory(kind, code, name, population, year, *, siren="", epci_nature="") -> Territory:
    """``population`` of a commune; ``None`` for a territory holding communes, whose
    population is the sum of theirs, written after the memberships (``rebuild_closure``)."""
    holds_communes = kind != TerritoryKind.COMMUNE
    return Territory(
        kind=kind,
        code=code,
        name=name,
        siren=siren or "",
        epci_nature=epci_nature,
        population=population,
        population_year=year if population is not None or holds_communes else None,
        slug=Territory.make_slug(name, code),
    )


def is_up_to_date(package: DataPackage, scope_label: str) -> bool:
    return ImportRun.objects.filter(scope=scope_label, data_checksum=package.checksum).exists()


@transaction.atomic
def import_scope(package: DataPackage, scope: Scope, *, stream=None) -> ImportRun:
    """Upsert the scope's territories by (kind, code), sync the official memberships
    under them (syndicats' members are left alone) and refresh the closure table."""
    started_at = timezone.now()
    slugs = {
        (kind, code): slug
        for kind, code, slug in Territory.objects.values_list("kind", "code", "slug")
    }
    created = sum(1 for t in scope.territories if (t.kind, t.code) not in slugs)
    _forget_listed_population_when_whole(scope)
    _make_slugs_unique(scope.territories, slugs)

    batches = range(0, len(scope.territories), BATCH_SIZE)
    with ProgressBar("Territoires", len(scope.territories), stream) as bar:
        for start in batches:
            batch = scope.territories[start : start + BATCH_SIZE]
            Territory.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["kind", "code"],
                update_fields=UPSERT_FIELDS,
            )
            bar.advance(len(batch))

    ids = {
        (kind, code): pk
        for pk, kind, code in Territory.objects.values_list("id", "kind", "code").iterator(
            chunk_size=BATCH_SIZE
        )
    }
    wanted = {(ids[parent], ids[child]) for parent, child in scope.memberships}
    parent_ids = {pk for pk, _ in wanted}
    child_ids = {(t.kind, t.code) for t in scope.territories if t.kind != TerritoryKind.EPCI}
    child_ids = {ids[key] for key in child_ids}
    current = set(
        Membership.objects.filter(
            parent__kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT, TerritoryKind.EPCI]
        ).values_list("parent_id", "child_id")
    )
    stale = [pair for pair in current - wanted if pair[0] in parent_ids and pair[1] in child_ids]
    to_add = wanted - current
    with ProgressBar("Appartenances", len(stale) + len(to_add), stream) as bar:
        for parent_id, child_id in stale:
            Membership.objects.filter(parent_id=parent_id, child_id=child_id).delete()
            bar.advance()
        to_add = sorted(to_add)
        for start in range(0, len(to_add), BATCH_SIZE):
            batch = to_add[start : start + BATCH_SIZE]
            Membership.objects.bulk_create(Membership(parent_id=p, child_id=c) for p, c in batch)
            bar.advance(len(batch))

    with ProgressBar("Hiérarchie (table de fermeture)", 1, stream) as bar:
        rebuild_closure()
        bar.advance()

    transaction.on_commit(bump_data_version)  # bulk writes send no signal
    return ImportRun.objects.create(
        scope=scope.label,
        data_version=f"{package.version} ({package.vintage})",
        data_checksum=package.checksum,
        started_at=started_at,
        finished_at=timezone.now(),
        territories_created=created,
        territories_updated=len(scope.territories) - created,
        memberships_added=len(to_add),
        memberships_removed=len(stale),
    )


def _forget_listed_population_when_whole(scope: Scope) -> None:
    """An EPCI whose communes outside the scope are already in the portal (a region
    imported over all of France) is whole: its population is the sum of all of them."""
    if not scope.communes_outside:
        return
    known = set(Territory.objects.communes().values_list("code", flat=True))
    for territory in scope.territories:
        outside = scope.communes_outside.get(territory.code)
        if territory.kind == TerritoryKind.EPCI and outside and outside <= known:
            territory.listed_population = None


def _make_slugs_unique(territories: list[Territory], slugs: dict) -> None:
    """Keep existing slugs (URLs stay stable); give new territories a free one."""
    used = set(slugs.values())
    for territory in territories:
        key = (territory.kind, territory.code)
        if key in slugs:
            territory.slug = slugs[key]
            continue
        slug, suffix = territory.slug, 2
        while slug in used:
            slug = f"{territory.slug}-{suffix}"
            suffix += 1
        territory.slug = slug
        used.add(slug)
