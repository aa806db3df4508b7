"""Demo data for the embedded mode (`make run`). Everything here is marked as demo.

Later issues add the six contracts signed on 24 October 2017 on top of these
territories; each loader is idempotent (get-or-create on natural keys)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from territories.models import SyndicatNature, Territory, TerritoryKind
from territories.services import set_members

# Syndicats are not in the Etalab data set. The SIREN below is a *demo* value
# (valid Luhn key, 999 prefix unused by real collectivities): replace it with the
# official one in the admin before any real use.
DEMO_SYNDICATS = [
    {
        "code": "999000003",
        "name": "Syndicat mixte du SCoT Sambre-Avesnois",
        "syndicat_nature": SyndicatNature.SCOT,
        # CA Maubeuge Val de Sambre, CC du Pays de Mormal, CC Cœur de l'Avesnois, CC du Sud Avesnois
        "member_epcis": ["200043396", "200043321", "200043263", "200043404"],
    },
]

DEMO_ADMIN = {"username": "admin", "password": "admin", "email": "admin@example.org"}


@transaction.atomic
def load_demo_territories() -> list[Territory]:
    syndicats = []
    for spec in DEMO_SYNDICATS:
        members = list(
            Territory.objects.filter(kind=TerritoryKind.EPCI, code__in=spec["member_epcis"])
        )
        if len(members) != len(spec["member_epcis"]):
            raise LookupError(
                "Territoires de référence manquants : lancez d'abord « manage.py import_territories »."
            )
        syndicat, _ = Territory.objects.get_or_create(
            kind=TerritoryKind.SYNDICAT,
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "siren": spec["code"],
                "syndicat_nature": spec["syndicat_nature"],
                "population": sum(m.population or 0 for m in members),
                "population_year": members[0].population_year,
            },
        )
        set_members(syndicat, members)
        syndicats.append(syndicat)
    return syndicats


def ensure_demo_admin() -> bool:
    """Create the demo superuser (admin/admin) if missing; returns True if created."""
    User = get_user_model()
    if User.objects.filter(username=DEMO_ADMIN["username"]).exists():
        return False
    User.objects.create_superuser(**DEMO_ADMIN)
    return True
