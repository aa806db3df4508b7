from django.db.models import Count

from territories.models import Territory, TerritoryClosure, TerritoryKind, TerritoryOverlap
from territories.selectors import communes_of, departements_of
from territories.services import compute_closure, rebuild_closure, set_members

SUD_AVESNOIS_EPCIS = ["200043396", "200043321", "200043263", "200043404"]


def test_the_36_communes_of_ca_lens_lievin_are_one_query(db, django_assert_num_queries):
    lens = Territory.objects.get(siren="246200364")

    with django_assert_num_queries(1):
        codes = list(communes_of(lens).values_list("code", flat=True))

    assert len(codes) == 36
    assert {"62498", "62510"} <= set(codes)  # Lens, Liévin


def test_ancestors_of_fourmies(fourmies, django_assert_num_queries):
    with django_assert_num_queries(1):
        ancestors = {(t.kind, t.name) for t in Territory.objects.ancestors_of(fourmies)}

    assert ancestors == {
        (TerritoryKind.EPCI, "CC du Sud Avesnois"),
        (TerritoryKind.DEPARTEMENT, "Nord"),
        (TerritoryKind.REGION, "Hauts-de-France"),
    }


def test_closure_depths_follow_the_shortest_path(fourmies):
    depths = dict(
        TerritoryClosure.objects.filter(descendant=fourmies).values_list("ancestor__code", "depth")
    )
    assert depths == {"59249": 0, "200043404": 1, "59": 1, "32": 2}


def test_an_epci_belongs_to_the_departement_of_its_communes(db):
    lens = Territory.objects.get(siren="246200364")
    assert list(departements_of(lens).values_list("code", flat=True)) == ["62"]
    nord = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="59")
    nord_epcis = Territory.objects.descendants_of(nord).filter(kind=TerritoryKind.EPCI)
    assert nord_epcis.filter(siren="200043404").exists()
    assert not nord_epcis.filter(siren="246200364").exists()


def test_an_interregional_epci_only_keeps_its_communes_of_the_imported_region(db):
    villes_soeurs = Territory.objects.get(kind=TerritoryKind.EPCI, name="CC des Villes Soeurs")
    departements = departements_of(villes_soeurs).values_list("code", flat=True)
    assert list(departements) == ["80"]  # its Seine-Maritime communes are not imported
    assert not communes_of(villes_soeurs).exclude(code__startswith="80").exists()


def test_every_commune_of_the_region_reaches_the_region_at_depth_two(hauts_de_france):
    depths = (
        TerritoryClosure.objects.filter(
            ancestor=hauts_de_france, descendant__kind=TerritoryKind.COMMUNE
        )
        .values("depth")
        .annotate(n=Count("id"))
    )
    assert list(depths) == [{"depth": 2, "n": 3782}]


def test_a_syndicat_of_epcis_contains_their_communes_and_becomes_an_ancestor(db, fourmies):
    scot = Territory.objects.create(
        kind=TerritoryKind.SYNDICAT,
        code="999000003",
        siren="999000003",
        name="SCoT Sambre-Avesnois",
        syndicat_nature="SCOT",
    )

    set_members(
        scot, Territory.objects.filter(kind=TerritoryKind.EPCI, code__in=SUD_AVESNOIS_EPCIS)
    )

    assert communes_of(scot).count() == 150
    assert Territory.objects.ancestors_of(fourmies).filter(pk=scot.pk).exists()
    assert list(departements_of(scot).values_list("code", flat=True)) == ["59"]


def test_removing_a_member_updates_the_closure(db, fourmies):
    scot = Territory.objects.create(
        kind=TerritoryKind.SYNDICAT, code="999000003", name="SCoT", syndicat_nature="SCOT"
    )
    epcis = Territory.objects.filter(kind=TerritoryKind.EPCI, code__in=SUD_AVESNOIS_EPCIS)
    set_members(scot, epcis)

    set_members(scot, epcis.exclude(code="200043404"))  # without CC du Sud Avesnois

    assert not Territory.objects.ancestors_of(fourmies).filter(pk=scot.pk).exists()
    assert communes_of(scot).count() == 150 - communes_of(epcis.get(code="200043404")).count()


def test_rebuilding_an_up_to_date_closure_writes_nothing(db):
    assert rebuild_closure() == (0, 0)


def test_compute_closure_on_a_small_graph():
    kinds = {1: "region", 2: "departement", 3: "epci", 4: "commune", 5: "commune", 6: "syndicat"}
    memberships = [(1, 2), (2, 4), (2, 5), (3, 4), (3, 5), (6, 3)]

    closure = compute_closure(kinds, memberships).closure

    assert closure[(1, 4)] == (2, True)
    assert closure[(2, 3)] == (1, True)  # EPCI in the département of its communes
    assert closure[(1, 6)] == (2, True)  # syndicat in the region via its communes' département
    assert closure[(6, 4)] == (2, True)
    assert closure[(4, 4)] == (0, True)
    assert (4, 5) not in closure


def test_an_epci_straddling_two_departements_is_not_wholly_in_either():
    kinds = {1: "departement", 2: "departement", 3: "epci", 4: "commune", 5: "commune"}
    memberships = [(1, 4), (2, 5), (3, 4), (3, 5)]

    nesting = compute_closure(kinds, memberships)

    assert nesting.closure[(1, 3)] == (1, False)
    assert nesting.closure[(2, 3)] == (1, False)
    assert nesting.closure[(3, 4)] == (1, True)
    assert nesting.overlaps == {(1, 3), (2, 3)}
    assert nesting.partial_overlaps == {1, 2, 3}


def test_two_syndicats_sharing_an_epci_overlap_partially():
    kinds = {
        10: "departement",
        1: "epci",
        2: "epci",
        3: "epci",
        21: "syndicat",
        22: "syndicat",
        101: "commune",
        102: "commune",
        103: "commune",
    }
    memberships = [(10, 101), (10, 102), (10, 103), (1, 101), (2, 102), (3, 103)]
    memberships += [(21, 1), (21, 2), (22, 2), (22, 3)]

    nesting = compute_closure(kinds, memberships)

    assert nesting.overlaps == {(21, 22)}
    assert nesting.closure[(21, 2)] == (1, True)
    assert nesting.closure[(10, 21)] == (1, True)


def test_three_epcis_of_the_region_straddle_two_departements(db):
    flagged = Territory.objects.filter(overlaps_partially=True)

    assert set(flagged.filter(kind=TerritoryKind.EPCI).values_list("name", flat=True)) == {
        "CC Flandre Lys",  # Nord and Pas-de-Calais
        "CC de l'Est de la Somme",  # Somme and Aisne
        "CC du Ternois",  # Pas-de-Calais and Somme
    }
    assert TerritoryOverlap.objects.count() == 3 * 2 * 2  # each with 2 départements, both ways
    assert set(flagged.filter(kind=TerritoryKind.DEPARTEMENT).values_list("code", flat=True)) == {
        "02",
        "59",
        "62",
        "80",
    }
