import io

import pytest
from django.core.management import call_command

from territories.models import Territory, TerritoryKind


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every database test starts with the official Hauts-de-France territories
    (imported once per session, from the vendored Etalab data)."""
    with django_db_blocker.unblock():
        call_command("import_territories", "--region", "32", verbosity=0, stderr=io.StringIO())


@pytest.fixture
def hauts_de_france(db):
    return Territory.objects.get(kind=TerritoryKind.REGION, code="32")


@pytest.fixture
def fourmies(db):
    return Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")


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
