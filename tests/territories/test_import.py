import io
import lzma
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from territories.importer import DATA_DIR
from territories.models import ImportRun, Membership, Territory, TerritoryClosure, TerritoryKind

ROOT = Path(__file__).resolve().parents[2]
HDF_COUNTS = {
    TerritoryKind.REGION: 1,
    TerritoryKind.DEPARTEMENT: 5,
    # 90 EPCIs wholly in the region + 2 interregional ones with member communes in it
    TerritoryKind.EPCI: 92,
    TerritoryKind.COMMUNE: 3782,
}


def import_territories(*args):
    out = io.StringIO()
    call_command("import_territories", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def table_snapshot():
    return (
        Territory.objects.count(),
        Membership.objects.count(),
        TerritoryClosure.objects.count(),
        ImportRun.objects.count(),
        sorted(Territory.objects.values_list("kind", "code", "name", "population")),
    )


def counts_by_kind():
    return {kind: Territory.objects.filter(kind=kind).count() for kind in HDF_COUNTS}


def test_region_32_import_creates_the_official_territories(db):
    Territory.objects.all().delete()
    ImportRun.objects.all().delete()

    output = import_territories("--region", "32")

    assert "3880 territoires créés" in output
    assert counts_by_kind() == HDF_COUNTS
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    assert region.name == "Hauts-de-France"
    assert region.population == 5_992_194
    assert region.population_year == 2023
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    assert (fourmies.name, fourmies.siren, fourmies.population) == ("Fourmies", "215902495", 11449)
    assert fourmies.slug == "fourmies-59249"
    lens = Territory.objects.get(kind=TerritoryKind.EPCI, code="246200364")
    # The sum of its communes' populations (the official EPCI list says 242 591).
    assert (lens.siren, lens.epci_nature, lens.population) == ("246200364", "CA", 242013)
    assert lens.listed_population is None
    run = ImportRun.objects.get()
    assert run.scope == "region:32"
    assert "6.0.0" in run.data_version
    assert run.territories_created == 3880


def test_every_commune_of_the_region_is_in_one_epci_and_one_departement(db):
    communes = Territory.objects.communes()
    assert communes.count() == 3782
    assert not communes.exclude(parent_memberships__parent__kind=TerritoryKind.EPCI).exists()
    per_commune = Membership.objects.filter(child__kind=TerritoryKind.COMMUNE).count()
    assert per_commune == 2 * 3782


def test_every_grouping_population_is_the_sum_of_its_communes_in_the_portal(db):
    communes = Territory.objects.communes()
    for grouping in Territory.objects.exclude(kind=TerritoryKind.COMMUNE):
        members = communes.descendants_of(grouping)
        total = sum(members.values_list("population", flat=True))
        assert grouping.population == total, grouping
        assert grouping.population_year == 2023


def test_an_interregional_epci_counts_its_communes_in_the_region_and_keeps_the_listed_figure(db):
    aumale = Territory.objects.get(kind=TerritoryKind.EPCI, code="200069722")

    assert aumale.population == 4261  # its communes in Hauts-de-France
    assert aumale.listed_population == 21244  # the official EPCI list, all its communes
    assert aumale.is_partly_outside
    wholly_inside = Territory.objects.filter(kind=TerritoryKind.EPCI, listed_population=None)
    assert wholly_inside.count() == HDF_COUNTS[TerritoryKind.EPCI] - 2


def test_second_run_with_the_same_data_does_nothing(db):
    before = table_snapshot()

    output = import_territories("--region", "32")

    assert "déjà à jour" in output
    assert table_snapshot() == before


def test_forced_reimport_updates_in_place_and_never_duplicates(db, fourmies):
    Territory.objects.filter(pk=fourmies.pk).update(name="Fourmies (nom altéré)", population=1)
    before = table_snapshot()

    output = import_territories("--region", "32", "--force")

    assert "0 territoires créés, 3880 mis à jour" in output
    fourmies.refresh_from_db()
    assert (fourmies.name, fourmies.population, fourmies.slug) == (
        "Fourmies",
        11449,
        "fourmies-59249",
    )
    after = table_snapshot()
    assert after[:3] == before[:3]
    assert after[3] == before[3] + 1  # the run is recorded


def test_reimport_removes_an_outdated_official_membership(db, fourmies):
    lens = Territory.objects.get(kind=TerritoryKind.EPCI, code="246200364")
    Membership.objects.create(parent=lens, child=fourmies)  # Fourmies is not in Lens-Liévin

    output = import_territories("--region", "32", "--force")

    assert "1 retirées" in output
    assert not Membership.objects.filter(parent=lens, child=fourmies).exists()
    assert not Territory.objects.descendants_of(lens).filter(pk=fourmies.pk).exists()


def test_reimport_keeps_syndicat_memberships_entered_in_the_admin(db, fourmies):
    syndicat = Territory.objects.create(
        kind=TerritoryKind.SYNDICAT,
        code="999000003",
        siren="999000003",
        name="Syndicat d'essai",
        syndicat_nature="OTHER",
    )
    Membership.objects.create(parent=syndicat, child=fourmies)

    import_territories("--region", "32", "--force")

    assert Membership.objects.filter(parent=syndicat, child=fourmies).exists()
    assert Territory.objects.ancestors_of(fourmies).filter(pk=syndicat.pk).exists()


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def corrupt_xz(data_dir):
    (data_dir / "communes.json.xz").write_bytes(b"not xz at all")


def tamper_content(data_dir):
    raw = lzma.decompress((data_dir / "epci.json.xz").read_bytes())
    (data_dir / "epci.json.xz").write_bytes(lzma.compress(raw.replace(b"Lens", b"Lenz")))


def remove_file(data_dir):
    (data_dir / "regions.json.xz").unlink()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (corrupt_xz, "corrompu (xz illisible)"),
        (tamper_content, "empreinte SHA-256 différente"),
        (remove_file, "introuvable"),
    ],
)
def test_damaged_data_is_refused_and_the_database_is_unchanged(db, data_copy, damage, message):
    damage(data_copy)
    before = table_snapshot()

    with pytest.raises(CommandError, match=re.escape(message)):
        import_territories("--force", "--data-dir", str(data_copy))

    assert table_snapshot() == before


def test_unknown_region_is_refused_and_the_database_is_unchanged(db):
    before = table_snapshot()

    with pytest.raises(CommandError, match="Région inconnue : « 99 »"):
        import_territories("--region", "99")

    assert table_snapshot() == before


def test_command_line_error_is_one_line_with_a_nonzero_exit_code(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3"}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_territories", "--region", "99"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("CommandError: Région inconnue : « 99 »")


@pytest.mark.postgres
def test_all_of_france_imports_on_postgresql(db):
    output = import_territories("--all")

    assert "Import terminé (all" in output
    counts = {kind: Territory.objects.filter(kind=kind).count() for kind in HDF_COUNTS}
    assert counts == {
        TerritoryKind.REGION: 18 + 8,  # 18 regions + the overseas collectivities listed as regions
        TerritoryKind.DEPARTEMENT: 109,
        TerritoryKind.EPCI: 1255,
        TerritoryKind.COMMUNE: 34969,
    }
    villes_soeurs = Territory.objects.get(kind=TerritoryKind.EPCI, name="CC des Villes Soeurs")
    departements = Territory.objects.ancestors_of(villes_soeurs).filter(
        kind=TerritoryKind.DEPARTEMENT
    )
    assert sorted(departements.values_list("code", flat=True)) == ["76", "80"]
    # All its communes are in: its population is theirs, no other figure to explain.
    aumale = Territory.objects.get(kind=TerritoryKind.EPCI, code="200069722")
    assert (aumale.population, aumale.listed_population) == (21154, None)
    assert not aumale.is_partly_outside
