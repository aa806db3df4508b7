import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from territories.models import Territory, TerritoryKind


def load_demo():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_creates_the_scot_sambre_avesnois_with_its_four_epcis(demo, fourmies):

    scot = Territory.objects.get(kind=TerritoryKind.SYNDICAT, name__contains="Sambre-Avesnois")
    members = set(scot.members.values_list("name", flat=True))
    assert members == {
        "CA Maubeuge Val de Sambre",
        "CC du Pays de Mormal",
        "CC Coeur de l'Avesnois",
        "CC du Sud Avesnois",
    }
    assert Territory.objects.ancestors_of(fourmies).filter(pk=scot.pk).exists()


def test_demo_is_idempotent(demo):
    counts = (Territory.objects.count(), get_user_model().objects.count())

    load_demo()

    assert (Territory.objects.count(), get_user_model().objects.count()) == counts


def test_demo_admin_account_only_in_debug(demo, settings):
    # The shared demo was loaded as the tests run, without DEBUG; loading it again is
    # cheap (nothing to create) and says the same about the accounts.
    settings.DEBUG = False
    assert "pas de compte de démonstration" in load_demo()
    assert not get_user_model().objects.filter(username="admin").exists()

    settings.DEBUG = True
    assert "admin / admin" in load_demo()
    assert get_user_model().objects.get(username="admin").is_superuser


def test_demo_needs_the_reference_territories(db):
    Territory.objects.all().delete()
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="import_territories"):
        load_demo()
