from datetime import date
from decimal import Decimal

import factory

from contracts.models import (
    Contract,
    ContractDocument,
    ContractTheme,
    ProgressReport,
    Signatory,
    Target,
)
from indicators.models import Indicator
from territories.models import Territory, TerritoryKind


def indicator(identifier: str) -> Indicator:
    return Indicator.objects.get(identifier=identifier)


class ContractFactory(factory.django.DjangoModelFactory):
    """A draft three-year contract of Fourmies (territories come from the session import)."""

    class Meta:
        model = Contract

    territory = factory.LazyFunction(
        lambda: Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    )
    reference = factory.Sequence(lambda n: f"COTRI-TEST-{n}")
    title = "Contrat d'objectifs TRI d'essai"
    start_date = date(2017, 10, 24)
    end_date = date(2020, 10, 23)


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    contract = factory.SubFactory(ContractFactory)
    indicator = factory.LazyFunction(lambda: indicator("cae_2.a"))
    baseline_year = 2015
    baseline_value = Decimal("1000")
    target_year = 2020
    target_value = Decimal("900")


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    contract = factory.SubFactory(ContractFactory)
    year = 2018


class DocumentFactory(factory.django.DjangoModelFactory):
    """An internal PDF of a contract (its file written to the storage: point
    ``settings.MEDIA_ROOT`` at ``tmp_path`` first)."""

    class Meta:
        model = ContractDocument

    contract = factory.SubFactory(ContractFactory)
    title = "Délibération du conseil municipal"
    file = factory.django.FileField(filename="deliberation.pdf", data=b"%PDF-1.4\n% essai\n")


def signable(contract: Contract) -> Contract:
    """Give a draft what signing needs when it lacks it: a signatory, a theme and a
    target (cae_2.a, 2015 → 2020)."""
    if not contract.signatories.exists():
        Signatory.objects.create(contract=contract, organisation="Région Hauts-de-France")
    if not contract.themes.exists():
        theme, _created = ContractTheme.objects.get_or_create(
            slug="batiment", defaults={"name": "Bâtiment"}
        )
        contract.themes.add(theme)
    if not contract.targets.exists():
        TargetFactory(contract=contract)
    return contract


def accept_verdicts(contract: Contract) -> dict:
    """The final evaluation's verdicts as computed, for every target in force at the end."""
    from contracts import services

    return {
        target.pk: services.VerdictInput() for target, _end in services.proposed_verdicts(contract)
    }
