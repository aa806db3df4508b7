"""docker-compose.yml cannot be run here (no Docker engine): check it is consistent."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (ROOT / "tri_portal" / "settings.py").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_env_names():
    return set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', SETTINGS_SOURCE))


def test_the_stack_has_every_service_with_health_checks():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name


def test_app_services_only_use_variables_the_settings_read():
    read = settings_env_names()
    for name in ("web", "worker", "beat", "migrate"):
        env = COMPOSE["services"][name]["environment"]
        assert set(env) <= read, set(env) - read
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "0"
        assert "SECRET_KEY:?" in env["SECRET_KEY"]  # compose refuses to start without it


def test_the_web_service_runs_gunicorn_on_the_wsgi_application():
    assert "gunicorn tri_portal.wsgi:application" in COMPOSE["services"]["web"]["command"]
    assert "celery -A tri_portal worker" in COMPOSE["services"]["worker"]["command"]
    assert "celery -A tri_portal beat" in COMPOSE["services"]["beat"]["command"]


def test_the_web_port_is_published_on_the_loopback_only_behind_one_declared_proxy():
    """Reached directly, the port would take any X-Forwarded-For for the proxy's: only
    the reverse proxy on the host may reach gunicorn, and NUM_PROXIES says it is there."""
    web = COMPOSE["services"]["web"]

    assert web["ports"] == ["127.0.0.1:8000:8000"]
    assert web["environment"]["NUM_PROXIES"] == "${NUM_PROXIES:-1}"
    for name, service in COMPOSE["services"].items():
        assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", [])), name


def test_uploaded_files_live_on_a_named_volume_shared_by_web_and_worker():
    """Contract documents and evidence are written by the web process and read by both:
    a named volume (kept across rebuilds, included in backups through the storage API)."""
    assert "media-data" in COMPOSE["volumes"]
    for name in ("web", "worker"):
        service = COMPOSE["services"][name]
        assert "media-data:/app/var/media" in service["volumes"], name
        assert service["environment"]["MEDIA_ROOT"] == "/app/var/media", name
