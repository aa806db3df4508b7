import io
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import TransactionTestCase

from territories.models import Territory, TerritoryKind
from tests import snapshots
from tests.realservices import ensure_reference_data

# Tests that commit (transactional tests, live servers, real workers and browsers) reset
# every table after them, and Redis tests share the broker (a worker started by one
# answers another's "is any worker up?"): they run in a process of their own, one at a
# time (`make test`: `-m serial`, alongside the rest on every core: `-m "not serial"`);
# so do the modules that run the portal in processes of their own (``processes``):
# the serial part ends well before the parallel one, and they even the two out.
SERIAL_FIXTURES = {"transactional_db", "live_server", "django_db_serialized_rollback"}
SERIAL_MARKERS = ("redis", "browser", "processes")
# Module-scoped demo fixtures, from the least to the most prepared (see ``demo``).
DEMO_LEVELS = ("demo", "demo_recomputed")


@pytest.fixture(scope="session", autouse=True)
def _media_root(tmp_path_factory):
    """Uploaded files (the demo's evidence, documents) go to a directory of the run, not
    to the project's var/media; a test may point ``settings.MEDIA_ROOT`` elsewhere."""
    from django.conf import settings
    from django.test.signals import setting_changed

    previous = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    setting_changed.send(sender=None, setting="MEDIA_ROOT", value=settings.MEDIA_ROOT, enter=True)
    yield settings.MEDIA_ROOT
    settings.MEDIA_ROOT = previous


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """Every database test starts with the official Hauts-de-France territories
    (imported from the vendored Etalab data), the indicator catalogue and the themes —
    also on a database reused (``--reuse-db``) after a transactional test flushed it.
    On PostgreSQL, when some selected test commits, this state is also kept as the
    ``reference`` snapshot that is put back after each of them (see ``tests/snapshots.py``)."""
    with django_db_blocker.unblock():
        call_command("import_territories", "--region", "32", verbosity=0, stderr=io.StringIO())
        ensure_reference_data()
        if snapshots.supported() and any(_commits(item) for item in request.session.items):
            snapshots.take(snapshots.REFERENCE)


# Set while a committing test is torn down when the next test puts the whole demo site
# back itself (``demo_site``, from its snapshot): the reference data put back in between
# would be replaced at once (seconds per browser test).
_next_test_restores_all = False


def _restore_reference_after_commits(test_case) -> None:
    """``TransactionTestCase._fixture_teardown`` in this suite: where the reference
    snapshot was taken, put it back (a fraction of a second) instead of flushing every
    table and re-importing the territories afterwards (seconds) — not at all when the
    next test replaces every table anyway."""
    if _next_test_restores_all:
        return
    if snapshots.taken(snapshots.REFERENCE):
        snapshots.restore(snapshots.REFERENCE)
    else:
        _flush_after_commits(test_case)


_flush_after_commits = TransactionTestCase._fixture_teardown
TransactionTestCase._fixture_teardown = _restore_reference_after_commits


def _commits(item) -> bool:
    """Whether the test commits to the database (which is flushed after it)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool(SERIAL_FIXTURES & set(getattr(item, "fixturenames", ())))


def _is_serial(item) -> bool:
    return _commits(item) or any(item.get_closest_marker(name) for name in SERIAL_MARKERS)


def _demo_level(item) -> int:
    names = set(getattr(item, "fixturenames", ()))
    return max((rank + 1 for rank, name in enumerate(DEMO_LEVELS) if name in names), default=0)


def pytest_itemcollected(item):
    """Mark the ``serial`` tests as they are collected (``-m`` selects on the marks)."""
    if _is_serial(item):
        item.add_marker(pytest.mark.serial)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Within each run of a module's tests, those without the demo come first, then
    those with the demo, then those with its aggregates — so the module-scoped demo is
    loaded once and never seen by a test that did not ask for it (pytest-django's own
    order between modules is kept, the browser tests moved to the end)."""
    ordered, start = [], 0
    for index in range(1, len(items) + 1):
        if index == len(items) or items[index].module is not items[start].module:
            ordered.extend(sorted(items[start:index], key=_demo_level))
            start = index
    # The browser tests last: they share one Chromium, whose event loop runs in the
    # process from the first of them on (tests/browser/conftest.py).
    ordered.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    items[:] = ordered


# Seconds the slowest modules take in the parallel part (setup, calls and teardown of
# their tests, PostgreSQL, 2 workers, measured on 6 December 2026 with --durations=0):
# with ``--dist loadscope`` a module is one unit of work, and one of these handed out
# last would keep one worker busy long after the others are done. They are handed out
# first, the longest first; any other unit counts half a second per test.
SLOW_MODULES = {
    "tests/faults/test_hostile_input.py": 88,
    "tests/tri_portal/test_demo_contracts.py": 73,
    "tests/tri_portal/test_backups.py": 54,
    "tests/territories/test_import.py": 35,
    "tests/contracts/test_admin.py": 24,
    "tests/tri_portal/test_demo_active_contracts.py": 22,
    "tests/contracts/test_import.py": 21,
    "tests/indicators/test_aggregation_property.py": 19,
    "tests/tri_portal/test_demo.py": 18,
    "tests/contracts/test_officer_space.py": 15,
    "tests/api/test_read_api.py": 14,
    "tests/faults/test_permission_sweep.py": 14,
    "tests/api/test_fuzz.py": 13,
    "tests/tri_portal/test_map_page.py": 12,
    "tests/test_snapshots.py": 12,
    "tests/indicators/test_aggregation.py": 12,
    "tests/api/test_bad_input_api.py": 11,
}


def _expected_seconds(scope: str, nodeids) -> float:
    return SLOW_MODULES.get(scope, 0.5 * len(nodeids))


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope``, the longest units of work handed out first."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirstScheduling(LoadScopeScheduling):
        ordered = False

        def _assign_work_unit(self, node):
            if not self.ordered:
                units = sorted(self.workqueue.items(), key=lambda u: -_expected_seconds(*u))
                self.workqueue.clear()
                self.workqueue.update(units)
                self.ordered = True
            super()._assign_work_unit(node)

    return LongestFirstScheduling(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test that committed, the database was flushed (or, on PostgreSQL, reset to
    the reference snapshot): put the reference data back at once if missing, so whatever
    runs next (in any order) finds it. Not after the last test: the test database is gone
    by then (its session fixture ends in this very teardown); not before a test that puts
    the whole demo site back (``_next_test_restores_all``)."""
    global _next_test_restores_all
    _next_test_restores_all = (
        nextitem is not None
        and DEMO_SITE in getattr(nextitem, "fixturenames", ())
        and snapshots.taken(DEMO_SITE)
    )
    try:
        yield
    finally:
        restores_all, _next_test_restores_all = _next_test_restores_all, False
    if (
        nextitem is not None
        and not restores_all
        and _commits(item)
        and "_django_db_helper" in (getattr(item, "funcargs", None) or {})
    ):  # set up
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            ensure_reference_data()


def _load_demo(*args) -> None:
    """``manage.py load_demo`` (which refreshes the dashboards' contract figures once, at
    its end), then those of every scope, as the nightly full run leaves them."""
    from contracts.stats import refresh_contract_stats

    call_command("load_demo", *args, stdout=io.StringIO())
    refresh_contract_stats()


@pytest.fixture(scope="module")
def _demo_module(django_db_setup, django_db_blocker):
    """The demo contracts and values, loaded once per module inside a transaction that
    is rolled back after the module (each test still runs in its own savepoint)."""
    if snapshots.taken(snapshots.DEMO):
        # On PostgreSQL the first module of the process kept the loaded demo as a
        # snapshot: the next ones put it back (same rows, a fraction of a second
        # instead of ≈ 10 s; tests/snapshots.py).
        with django_db_blocker.unblock(), transaction.atomic():
            snapshots.restore(snapshots.DEMO)
            yield
            transaction.set_rollback(True)
        return
    with django_db_blocker.unblock(), transaction.atomic():
        _load_demo()
        if snapshots.supported():
            snapshots.take(snapshots.DEMO)
        yield
        transaction.set_rollback(True)


@contextmanager
def tasks_in_process():
    """Celery tasks sent meanwhile run in-process, as in embedded mode — here the peer
    statistics job a recompute run sends — even when a broker is configured (CI)."""
    from tri_portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture(scope="module")
def _demo_recomputed_module(_demo_module, django_db_blocker):
    from indicators.aggregation import recompute_all

    with django_db_blocker.unblock(), transaction.atomic():
        if snapshots.taken(snapshots.DEMO_RECOMPUTED):
            snapshots.restore(snapshots.DEMO_RECOMPUTED)
        else:
            with tasks_in_process():  # and the peer statistics job it sends
                recompute_all()
            if snapshots.supported():
                snapshots.take(snapshots.DEMO_RECOMPUTED)
        yield
        transaction.set_rollback(True)


# Days the demo is loaded as of (``load_demo --today``): after the deadline of last
# year's reports (30 June) and before it.
DEMO_DAYS = (date(2026, 12, 6), date(2027, 4, 10))


@pytest.fixture(scope="module", params=DEMO_DAYS, ids=str)
def _demo_day_module(request, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        _load_demo("--today", request.param.isoformat())
        yield request.param
        transaction.set_rollback(True)


@pytest.fixture
def demo_day(_demo_day_module, db):
    """The demo loaded as of a fixed day — each of ``DEMO_DAYS`` in turn, once per module
    and day —, which the fixture returns (the day's reports due, sent, late, rejected)."""
    return _demo_day_module


@pytest.fixture
def demo(_demo_module, db):
    """The demo data (``manage.py load_demo``) as of today: the six 2017 contracts, the
    regional goals, the later contracts active today with their reports (due, submitted,
    overdue, rejected), their values and the dashboards' contract figures; nothing
    recomputed. Loaded once per module: a test's own changes are rolled back after it."""


@pytest.fixture
def demo_recomputed(_demo_recomputed_module, db):
    """The demo data and its regional aggregates (a full recompute)."""


DEMO_SITE = "demo_site"


@pytest.fixture
def demo_site(transactional_db, live_server, unhashed_static):
    """The demo data (and its aggregates) committed, so the live server sees them.
    Loaded once: on PostgreSQL the first test keeps the result as a snapshot that the
    next ones put back (a fraction of a second instead of ≈ 10 s; tests/snapshots.py)."""
    from indicators.aggregation import recompute_all
    from tests.realservices import ensure_reference_data

    if snapshots.taken(DEMO_SITE):
        snapshots.restore(DEMO_SITE)
        return live_server
    ensure_reference_data()
    call_command("load_demo", stdout=io.StringIO())
    with tasks_in_process():  # and the peer statistics job it sends
        recompute_all()
    if snapshots.supported():
        snapshots.take(DEMO_SITE)
    return live_server


@pytest.fixture
def hauts_de_france(db):
    return Territory.objects.get(kind=TerritoryKind.REGION, code="32")


@pytest.fixture
def fourmies(db):
    return Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")


@pytest.fixture
def staff(db):
    """A Region agent (modules needing other attributes define their own ``staff``)."""
    from tests.factories import UserFactory

    return UserFactory(username="agent.region", is_staff=True)


@pytest.fixture
def officer(fourmies):
    """The officer (référent) assigned to Fourmies."""
    from territories.models import OfficerAssignment
    from tests.factories import UserFactory

    user = UserFactory(username="referent.fourmies")
    OfficerAssignment.objects.create(user=user, territory=fourmies)
    return user


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("agent.region", "agent@example.org", "x")
    client.force_login(user)
    return client


@pytest.fixture
def unhashed_static(settings):
    """Serve static files from the finders (live server) instead of the collected
    manifest, whose hashed names only whitenoise knows."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def eager_tasks(monkeypatch):
    """Run Celery tasks in-process even when a broker is configured (CI), so a test
    sees their effects (e-mails, recomputes) right after the commit."""
    from tri_portal.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Public pages are cached: every test starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing with the production hasher costs ~0.7 s per user; tests do not need it
    (the production hasher stays listed to check passwords set by class-scoped data)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def tiny_outlines(monkeypatch):
    """The outline reader on 13 communes of the Hauts-de-France drawn as squares of 0.1°
    sharing their arcs (``tests/data/outlines-tiny.topojson``): the maps draw them."""
    import json

    from territories.outlines import Outlines

    tiny = Outlines(
        json.loads((Path(__file__).parent / "data" / "outlines-tiny.topojson").read_text()),
        {
            "licence": "Licence Ouverte 2.0",
            "attribution": "IGN — ADMIN EXPRESS COG (jeu de test simplifié)",
            "source": "tests/data/outlines-tiny.topojson",
        },
        "32",
    )
    monkeypatch.setattr("tri_portal.map_layers.outlines", lambda region_code=None: tiny)
    return tiny


@pytest.fixture
def scot_sambre_avesnois(db):
    """The demo's syndicat (``tri_portal.demo.load_demo_territories``) alone: the SCoT
    Sambre-Avesnois and its four member EPCIs, with its demo SIREN 999000003."""
    from tri_portal.demo import load_demo_territories

    [syndicat] = load_demo_territories()
    return syndicat


@pytest.fixture(scope="session")
def region_outlines():
    """The committed Hauts-de-France commune outlines, decoded once per process."""
    from territories.outlines import outlines

    return outlines("32")
