from datetime import date
from decimal import Decimal

import factory

from contracts.models import (
    Action,
    Contract,
    ContractDocument,
    ContractTheme,
    EvidenceFile,
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


class ActionFactory(factory.django.DjangoModelFactory):
    """A *fiche action* (themes come from the seeding migration)."""

    class Meta:
        model = Action

    contract = factory.SubFactory(ContractFactory)
    theme = factory.LazyFunction(lambda: ContractTheme.objects.order_by("slug").first())
    title = factory.Sequence(lambda n: f"Fiche action {n}")


class EvidenceFactory(factory.django.DjangoModelFactory):
    """An evidence PDF of a report (written to the storage: point ``settings.MEDIA_ROOT``
    at ``tmp_path`` first)."""

    class Meta:
        model = EvidenceFile

    report = factory.SubFactory(ReportFactory)
    title = "Facture des travaux"
    file = factory.django.FileField(filename="facture.pdf", data=b"%PDF-1.4\n% facture\n")
    file_format = "pdf"
    size = factory.LazyAttribute(lambda evidence: evidence.file.size)


def reported(contract, year, values: dict, by, justifications: dict | None = None):
    """The report of ``contract`` for ``year`` with ``values`` ({identifier: value})
    entered by ``by`` through the service (a draft)."""
    from contracts import services

    justifications = justifications or {}
    report = services.open_report(contract, year, by)
    services.save_report_values(
        report,
        [
            services.ReportedValue(
                indicator(identifier), value, justification=justifications.get(identifier, "")
            )
            for identifier, value in values.items()
        ],
        by,
    )
    return report


def published(contract, year, values: dict, officer, validator):
    """A report entered and submitted by ``officer``, validated by ``validator``."""
    from contracts import services

    report = reported(contract, year, values, officer)
    services.submit_report(report, officer)
    services.validate_report(report, validator)
    report.refresh_from_db()
    return report


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
