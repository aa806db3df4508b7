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
    from django.core.management import CommandError
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    from tri_portal.demo import DEMO_SYNDICATS

    # As if the EPCIs of the official data were not imported (deleting every territory
    # would take seconds for the same refusal).
    members = [code for spec in DEMO_SYNDICATS for code in spec["member_epcis"]]
    Territory.objects.filter(kind=TerritoryKind.EPCI, code__in=members).update(
        code=Concat(Value("X"), Substr("code", 2))
    )

    with pytest.raises(CommandError, match="import_territories"):
        load_demo()


def test_a_demo_load_emails_no_one_and_sends_one_recompute_and_one_refresh(db, monkeypatch):
    """What the demo's workflow steps ask for while it loads (an e-mail and a recompute
    per report, a refresh of the figures per contract status change): the load sends
    the recompute once, refreshes the figures once, e-mails no one."""
    from contracts import tasks as contract_tasks
    from contracts.stats import refresh_contract_stats
    from indicators import tasks as indicator_tasks
    from kit.tasks import safe_delay
    from tri_portal.management.commands.load_demo import Command

    def steps_of_a_load(self, today):
        for report in (1, 2, 3):
            safe_delay(contract_tasks.notify_report_submitted, report)
            safe_delay(contract_tasks.notify_report_reviewed, report)
            safe_delay(indicator_tasks.recompute_pending_task)
            refresh_contract_stats([report])
        assert (sent, refreshes) == ([], [])  # nothing yet

    sent, refreshes = [], []
    monkeypatch.setattr(Command, "load", steps_of_a_load)
    monkeypatch.setattr("kit.tasks._send", lambda task, a, k: sent.append(task.name) or True)
    monkeypatch.setattr(
        "contracts.stats._refresh",
        lambda territories=None, values_only=False: refreshes.append(set(territories)) or 0,
    )

    load_demo()

    assert sent == ["indicators.recompute_pending"]
    assert refreshes == [{1, 2, 3}]
