"""Shared pieces of the fault and load scenarios: committed data built cheaply
(contracts created active, reports through the services), task messages kept out
of the way of the workers under test, and the aggregate table as a comparable set."""

import os
import uuid
from contextlib import contextmanager
from datetime import date

import pytest

from contracts import services
from contracts.models import ContractStatus
from indicators.models import Aggregate, Indicator
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory
from tests.factories import UserFactory
from tests.realservices import ensure_reference_data
from tri_portal.models import ApiToken

SIGNED_ON = date(2017, 10, 24)


@pytest.fixture
def reference_data(transactional_db):
    """The territories, catalogue and themes, committed (subprocesses and workers
    read them through their own connections)."""
    ensure_reference_data()


@pytest.fixture
def staff(reference_data):
    return UserFactory(username="agent.region", email="agent@region.example", is_staff=True)


def energy() -> Indicator:
    return Indicator.objects.get(identifier="cae_2.a")


def communes(count: int) -> list[Territory]:
    return list(Territory.objects.filter(kind=TerritoryKind.COMMUNE).order_by("code")[:count])


def active_contract(territory, baseline_year: int = 2015, **fields):
    """An active 2017-2020 contract with a cae_2.a target. Created in its final state:
    signing through the services refreshes the region's dashboard figures each time
    (seconds), which none of these scenarios read."""
    contract = ContractFactory(
        territory=territory,
        reference=f"COTRI-{territory.code}",
        status=ContractStatus.ACTIVE,
        signed_on=SIGNED_ON,
        **fields,
    )
    TargetFactory(contract=contract, baseline_year=baseline_year)
    return contract


def reporter():
    """The agent who enters reports on the collectivities' behalf: never the one who
    validates them (four eyes)."""
    return UserFactory._meta.model.objects.get_or_create(
        username="agent.saisie", defaults={"email": "saisie@region.example", "is_staff": True}
    )[0]


def submitted_report(contract, year: int, value, by):
    """Entered and submitted by ``by`` (see :func:`reporter`)."""
    report = services.open_report(contract, year, by)
    # Justified in advance: some scenarios report years far apart (plausibility checks).
    entry = services.ReportedValue(energy(), value, justification="Valeur d'essai")
    services.save_report_values(report, [entry], by)
    return services.submit_report(report, by)


def officer_of(territory, username: str):
    user = UserFactory(username=username, email=f"{username}@example.org")
    OfficerAssignment.objects.create(user=user, territory=territory)
    return user


def token_for(user) -> str:
    return ApiToken.issue(user, "tests")[1]


def aggregate_table(with_computed_at: bool = False) -> list[tuple]:
    """The whole Aggregate table as sorted tuples (what a reader of the public pages,
    the API and the exports sees)."""
    fields = ["scope_id", "indicator_id", "year", "value", "covered_population", "contributors"]
    if with_computed_at:
        fields.append("computed_at")
    return sorted(Aggregate.objects.values_list(*fields))


def redis_url() -> str:
    return os.environ["CELERY_BROKER_URL"]


def redis_client():
    import redis

    return redis.Redis.from_url(redis_url())


def drop_queue(queue: str) -> None:
    """Forget a test queue in Redis: its messages, its binding, and any message of it
    left unacknowledged by a killed worker (so no later worker redelivers it)."""
    import json

    client = redis_client()
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, payload in client.hgetall("unacked").items():
        try:
            _message, exchange, routing_key = json.loads(payload)
        except (TypeError, ValueError):
            continue
        if queue in (exchange, routing_key):
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@contextmanager
def task_queue(queue: str | None = None):
    """Send the tasks of this process (the services' on_commit sends included) to
    ``queue``; without a name, to a throwaway queue that no worker reads and that is
    dropped afterwards — the work stays recorded in the database (PendingRecompute)
    exactly as when the broker is down."""
    from tri_portal.celery import app

    name = queue or f"parked-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = name, False
    try:
        yield name
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = previous
        drop_queue(name)
