"""Cached public pages never outlive the data they show: the data version moves when
a change is committed, so a reader during an uncommitted change cannot cache the old
page under the new version (PostgreSQL, a reader thread with its own connection)."""

import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from contracts import services
from territories.models import Territory, TerritoryKind
from tests.faults.conftest import active_contract, reporter, submitted_report, task_queue

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.redis]


def test_a_page_read_during_an_uncommitted_validation_is_not_kept_after_the_commit(staff):
    """The data version moves when the change is committed, not before: a reader in
    between sees (and caches) the old data under the old version, so the first
    request after the commit renders the new data."""
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    contract = active_contract(fourmies)  # cae_2.a: 1000 (2015) → 900 (2020)
    report = submitted_report(contract, 2018, "950", reporter())  # expected 940: late
    url = reverse("contract", args=[contract.pk])
    assert "en retard" not in Client().get(url).content.decode()
    seen_meanwhile = []

    def read_the_page():
        try:
            seen_meanwhile.append(Client().get(url).content.decode())
        finally:
            connections.close_all()

    with task_queue():  # the recompute waits for a worker, as in production
        with transaction.atomic():
            services.validate_report(report, staff)
            reader = threading.Thread(target=read_the_page)
            reader.start()
            reader.join(timeout=30)
        after = Client().get(url).content.decode()

    assert "en retard" not in seen_meanwhile[0]  # the validation was not committed yet
    assert "en retard" in after
