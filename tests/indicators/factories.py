from decimal import Decimal

import factory
from django.utils import timezone

from indicators.models import Indicator, IndicatorValue, RegionalGoal, ValueStatus
from territories.models import Territory, TerritoryKind
from tests.factories import UserFactory


class ValidatedValueFactory(factory.django.DjangoModelFactory):
    """A published observation: Fourmies' final energy (cae_2.a) of 2018 unless told
    otherwise; ``indicator`` may be given as an identifier."""

    class Meta:
        model = IndicatorValue

    territory = factory.LazyFunction(
        lambda: Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    )
    indicator = "cae_2.a"
    year = 2018
    value = Decimal("250")
    status = ValueStatus.VALIDATED
    validated_by = factory.SubFactory(UserFactory, username="agent.validation", is_staff=True)
    validated_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if isinstance(kwargs["indicator"], str):
            kwargs["indicator"] = Indicator.objects.get(identifier=kwargs["indicator"])
        return super()._create(model_class, *args, **kwargs)


class RegionalGoalFactory(factory.django.DjangoModelFactory):
    """One of the region's own goals: Hauts-de-France's final energy (cae_2.a), 213 000
    GWh in 2012 to 85 200 GWh in 2050 (−60 %) unless told otherwise; ``indicator`` may
    be given as an identifier."""

    class Meta:
        model = RegionalGoal

    territory = factory.LazyFunction(
        lambda: Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    )
    indicator = "cae_2.a"
    baseline_year = 2012
    baseline_value = Decimal("213000")
    target_year = 2050
    target_value = Decimal("85200")
    adopted_by = "SRADDET Hauts-de-France (2020)"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if isinstance(kwargs["indicator"], str):
            kwargs["indicator"] = Indicator.objects.get(identifier=kwargs["indicator"])
        return super()._create(model_class, *args, **kwargs)
