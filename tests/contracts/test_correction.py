"""A validated value is corrected only by staff, with a reason kept in its history."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts import services
from indicators.models import Indicator, IndicatorValue, PendingRecompute
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="agent", is_staff=True)


@pytest.fixture
def validated_value(staff):
    """Entered and submitted by one agent (on the collectivity's behalf), validated by
    ``staff``."""
    reporter = UserFactory(username="agent.saisie", is_staff=True)
    contract = ContractFactory()
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    report = services.open_report(contract, 2018, reporter)
    services.save_report_values(
        report,
        [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "250")],
        reporter,
    )
    services.submit_report(report, reporter)
    [value] = services.validate_report(report, staff)
    PendingRecompute.objects.all().delete()
    return value


def test_staff_correct_a_validated_value_with_a_reason_in_the_history(
    client, staff, validated_value
):
    client.force_login(staff)
    url = reverse("correct_value", args=[validated_value.pk])

    response = client.post(url, {"value": "245,5", "reason": "Erreur de report du bilan 2018"})

    assert response.status_code == 302
    validated_value.refresh_from_db()
    assert validated_value.value == Decimal("245.5")
    latest = validated_value.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        staff,
        "Erreur de report du bilan 2018",
    )
    assert validated_value.history.last().value == Decimal("250")
    assert PendingRecompute.objects.filter(territory=validated_value.territory, year=2018).exists()


def test_a_correction_needs_a_reason(client, staff, validated_value):
    client.force_login(staff)

    response = client.post(
        reverse("correct_value", args=[validated_value.pk]), {"value": "245", "reason": ""}
    )

    assert response.status_code == 400
    validated_value.refresh_from_db()
    assert validated_value.value == Decimal("250")


def test_officers_cannot_correct(client, validated_value):
    officer = UserFactory(username="referent")
    client.force_login(officer)

    response = client.post(
        reverse("correct_value", args=[validated_value.pk]), {"value": "1", "reason": "x"}
    )

    assert response.status_code == 302  # to the admin login
    validated_value.refresh_from_db()
    assert validated_value.value == Decimal("250")
    with pytest.raises(ValidationError, match="Seuls les agents"):
        services.correct_validated_value(validated_value, "1", "x", officer)


def test_a_corrected_value_must_still_be_plausible(staff, validated_value):
    with pytest.raises(ValidationError) as excinfo:
        services.correct_validated_value(validated_value, "-5", "typo", staff)
    assert "hors des bornes plausibles" in excinfo.value.message_dict["value"][0]


def test_the_admin_links_to_the_correction(client, validated_value):
    client.force_login(UserFactory(username="admin.test", is_staff=True, is_superuser=True))
    html = client.get(
        reverse("admin:indicators_indicatorvalue_change", args=[validated_value.pk])
    ).content.decode()
    assert reverse("correct_value", args=[validated_value.pk]) in html
    assert IndicatorValue.objects.get(pk=validated_value.pk).status == "validated"
