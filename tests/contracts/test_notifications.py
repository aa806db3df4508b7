"""E-mails of the workflow and the yearly reminders (plain text + HTML, in French)."""

from datetime import date

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from contracts import notifications, services, tasks
from contracts.models import ProgressReport
from indicators.models import Indicator
from kit.cache import bump_data_version
from territories.models import OfficerAssignment
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="agent", email="agent@region.example", is_staff=True)


@pytest.fixture
def officer(fourmies):
    user = UserFactory(username="referent", email="referent@fourmies.example")
    OfficerAssignment.objects.create(user=user, territory=fourmies)
    return user


@pytest.fixture
def contract(staff, fourmies):
    contract = ContractFactory(
        territory=fourmies, start_date=date(2023, 3, 1), end_date=date(2026, 2, 28)
    )
    TargetFactory(contract=contract, baseline_year=2022, target_year=2025)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    return contract


def submitted(contract, officer, year=2024):
    report = services.open_report(contract, year, officer)
    services.save_report_values(
        report,
        [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "250")],
        officer,
    )
    return services.submit_report(report, officer)


def test_staff_are_told_when_a_report_is_submitted(
    contract, officer, staff, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = submitted(contract, officer)

    [message] = mail.outbox
    assert message.to == ["agent@region.example"]
    assert message.subject == "Rapport 2024 soumis : Fourmies"
    assert f"/gestion/rapports/{report.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="fr">' in html


def test_the_officer_is_told_of_the_validation(
    contract, officer, staff, eager_tasks, django_capture_on_commit_callbacks
):
    report = submitted(contract, officer)
    with django_capture_on_commit_callbacks(execute=True):
        services.validate_report(report, staff)

    assert mail.outbox[-1].to == ["referent@fourmies.example"]
    assert mail.outbox[-1].subject == "Votre rapport 2024 est validé"


def test_no_mail_leaves_before_the_transaction_commits(
    contract, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submitted(contract, officer)
    assert mail.outbox == []
    sending = [callback for callback in callbacks if callback is not bump_data_version]
    assert len(sending) == 1  # (the public pages' data version also moves on commit)


def test_the_yearly_reminder_goes_to_officers_whose_report_is_due(contract, officer):
    sent = notifications.send_reminders("due", today=date(2025, 4, 1))

    assert sent == 1
    assert mail.outbox[0].to == ["referent@fourmies.example"]
    assert mail.outbox[0].subject == "Rapport d'avancement 2024 à remplir : Fourmies"
    assert "30 juin 2025" in mail.outbox[0].body


def test_no_reminder_once_the_report_is_submitted(contract, officer):
    submitted(contract, officer)
    assert notifications.send_reminders("due", today=date(2025, 4, 1)) == 0


def test_late_reports_get_a_second_reminder(contract, officer):
    ProgressReport.objects.create(contract=contract, year=2023)  # a draft, never sent

    sent = notifications.send_reminders("late", today=date(2025, 7, 1))

    subjects = sorted(m.subject for m in mail.outbox)
    assert sent == 2
    assert subjects == [
        "Rapport d'avancement 2023 en retard : Fourmies",
        "Rapport d'avancement 2024 en retard : Fourmies",
    ]
    assert "n'a pas encore été soumis" in mail.outbox[0].body


def test_reminders_are_scheduled_and_editable_in_the_admin(db):
    reminders = PeriodicTask.objects.filter(task="contracts.send_report_reminders").order_by("name")
    assert [(t.kwargs, t.crontab.month_of_year, t.crontab.day_of_month) for t in reminders] == [
        ('{"kind": "due"}', "4", "1"),
        ('{"kind": "late"}', "7", "1"),
    ]


def test_the_reminder_task_runs_the_reminders(contract, officer, eager_tasks, monkeypatch):
    monkeypatch.setattr(notifications.timezone, "localdate", lambda: date(2025, 4, 1))
    assert tasks.send_report_reminders.delay("due").get() == 1
