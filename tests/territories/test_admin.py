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


def change_form_data(response, **overrides):
    """What the browser posts back from an admin change page, unchanged but for
    ``overrides`` (the main form and its inlines with their management forms)."""
    form = response.context["adminform"].form
    data = {}
    for name, bound in form.initial.items():
        if name in form.fields and bound is not None:
            data[name] = bound
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for sub in formset.initial_forms:
            for name in sub.fields:
                value = sub.instance.pk if name == "id" else sub.initial.get(name)
                if value is not None:
                    data[sub.add_prefix(name)] = getattr(value, "pk", value)
    data.update(overrides)
    return data


def change_url(territory):
    return reverse("admin:territories_territory_change", args=[territory.pk])


def test_staff_set_the_official_siren_of_the_demo_syndicat_which_then_is_official(
    staff_client, scot_sambre_avesnois
):
    assert not scot_sambre_avesnois.siren_verified
    page = staff_client.get(change_url(scot_sambre_avesnois))

    response = staff_client.post(
        change_url(scot_sambre_avesnois), change_form_data(page, siren="255900003")
    )

    assert response.status_code == 302
    scot_sambre_avesnois.refresh_from_db()
    assert (scot_sambre_avesnois.siren, scot_sambre_avesnois.code) == ("255900003", "255900003")
    assert scot_sambre_avesnois.siren_verified
    assert scot_sambre_avesnois.siren_note == ""
    assert scot_sambre_avesnois.members.count() == 4  # its members kept


def test_an_invalid_siren_is_refused_in_french_and_nothing_is_saved(
    staff_client, scot_sambre_avesnois
):
    page = staff_client.get(change_url(scot_sambre_avesnois))

    response = staff_client.post(
        change_url(scot_sambre_avesnois), change_form_data(page, siren="255900004")
    )

    assert response.status_code == 200
    assert "clé de contrôle de Luhn erronée" in response.content.decode()
    scot_sambre_avesnois.refresh_from_db()
    assert (scot_sambre_avesnois.siren, scot_sambre_avesnois.siren_verified) == (
        "999000003",
        False,
    )


def test_the_population_of_a_grouping_is_not_typed_in_the_admin(staff_client, scot_sambre_avesnois):
    page = staff_client.get(change_url(scot_sambre_avesnois))

    assert "population" not in page.context["adminform"].form.fields
    assert "population" in page.context["adminform"].readonly_fields
