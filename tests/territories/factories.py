import factory
from stdnum import luhn

from territories.models import EpciNature, OfficerAssignment, Territory, TerritoryKind


def luhn_siren(prefix: str) -> str:
    """A valid SIREN starting with an 8-digit prefix (the last digit is the key)."""
    return prefix + luhn.calc_check_digit(prefix)


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    kind = TerritoryKind.COMMUNE
    code = factory.Sequence(lambda n: f"99{n % 1000:03d}")
    siren = factory.Sequence(lambda n: luhn_siren(f"2199{n % 10000:04d}"))
    name = factory.Sequence(lambda n: f"Commune d'essai {n}")
    population = 1000
    population_year = 2023


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    kind = TerritoryKind.EPCI
    code = factory.Sequence(lambda n: luhn_siren(f"2999{n % 10000:04d}"))
    siren = factory.SelfAttribute("code")
    epci_nature = EpciNature.CC
    name = factory.Sequence(lambda n: f"CC d'essai {n}")


class OfficerAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficerAssignment

    user = factory.SubFactory("tests.factories.UserFactory")
    territory = factory.SubFactory(CommuneFactory)
