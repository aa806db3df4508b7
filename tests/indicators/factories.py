from decimal import Decimal

import factory
from django.utils import timezone

from indicators.models import Indicator, IndicatorValue, ValueStatus
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
