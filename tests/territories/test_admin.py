import pytest
from django.urls import reverse

from territories.models import Membership, Territory, TerritoryKind

ADD_URL = reverse("admin:territories_territory_add")


def territory_form(**overrides):
    data = {
        "kind": TerritoryKind.EPCI,
        "name": "CC d'essai",
        "code": "246200364",
        "siren": "",
        "slug": "cc-d-essai",
        "epci_nature": "CC",
        "syndicat_nature": "",
        "population": "",
        "population_year": "",
        "child_memberships-TOTAL_FORMS": "0",
        "child_memberships-INITIAL_FORMS": "0",
        "officer_assignments-TOTAL_FORMS": "0",
        "officer_assignments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "kind": TerritoryKind.SYNDICAT,
                "code": "246200365",
                "epci_nature": "",
                "syndicat_nature": "SCOT",
            },
            "clé de contrôle de Luhn erronée",
        ),
        ({"kind": TerritoryKind.EPCI, "code": "12345"}, "exactement 9 chiffres"),
        (
            {"kind": TerritoryKind.COMMUNE, "code": "5924", "epci_nature": ""},
            "code INSEE de commune",
        ),
        (
            {
                "kind": TerritoryKind.COMMUNE,
                "code": "99001",
                "siren": "215902496",
                "epci_nature": "",
            },
            "Luhn",
        ),
    ],
)
def test_invalid_official_codes_get_a_french_message_on_the_field(staff_client, fields, message):
    before = Territory.objects.count()

    response = staff_client.post(ADD_URL, territory_form(**fields))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Territory.objects.count() == before


def test_a_syndicat_created_in_the_admin_with_members_updates_the_closure(staff_client, fourmies):
    sud_avesnois = Territory.objects.get(siren="200043404")

    response = staff_client.post(
        ADD_URL,
        territory_form(
            kind=TerritoryKind.SYNDICAT,
            code="999000003",
            name="Syndicat d'essai",
            slug="syndicat-d-essai",
            epci_nature="",
            syndicat_nature="PETR",
            **{
                "child_memberships-TOTAL_FORMS": "1",
                "child_memberships-0-child": str(sud_avesnois.pk),
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    syndicat = Territory.objects.get(kind=TerritoryKind.SYNDICAT, code="999000003")
    assert syndicat.siren == "999000003"  # the SIREN of a syndicat is its code
    assert Membership.objects.filter(parent=syndicat, child=sud_avesnois).exists()
    assert Territory.objects.ancestors_of(fourmies).filter(pk=syndicat.pk).exists()


def test_admin_search_by_code_and_filter_by_departement(staff_client):
    url = reverse("admin:territories_territory_changelist")

    by_code = staff_client.get(url, {"q": "59249"})
    by_departement = staff_client.get(url, {"kind__exact": "epci", "departement": "62"})

    assert "Fourmies" in by_code.content.decode()
    listed = by_departement.context["cl"].result_count
    assert (
        listed
        == Territory.objects.filter(
            kind=TerritoryKind.EPCI,
            ancestor_links__ancestor__code="62",
            ancestor_links__ancestor__kind=TerritoryKind.DEPARTEMENT,
        ).count()
    )
    assert "CA de Lens - Liévin" in by_departement.content.decode()
    assert "CC du Sud Avesnois" not in by_departement.content.decode()


def test_a_commune_cannot_be_a_member_of_a_commune(fourmies):
    from django.core.exceptions import ValidationError

    other = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59271")
    with pytest.raises(ValidationError, match="ne peut pas être membre"):
        Membership(parent=other, child=fourmies).clean()
