"""Production settings (TRI_ENV=production), checked on the real thing: `check --deploy`
in a fresh process, a refusal to start with development settings, and the headers,
cookies, redirects and JSON logs of gunicorn serving the portal behind a TLS proxy."""

import gzip
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from django.urls import reverse

from contracts.models import Contract
from territories.models import Territory, TerritoryKind
from tests.factories import UserFactory

# gunicorn and manage.py in processes of their own: in the serial part (tests/conftest.py).
pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "tri.example.org"
PASSWORD = "un-mot-de-passe-de-production-2026"
SETTINGS_SOURCE = (ROOT / "tri_portal" / "settings.py").read_text()
# Every variable the settings read: the subprocesses start from none of them, whatever
# the environment of the test run (CI sets DATABASE_URL and CELERY_BROKER_URL).
APP_VARIABLES = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', SETTINGS_SOURCE))
REFUSAL = "TRI_ENV=production refuses DEBUG=1 and the development SECRET_KEY"
CHECK_ID = re.compile(r"\(([a-z_.]+\.)?[EW]\d{3}\)")


def app_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in APP_VARIABLES and not key.startswith(("MAKE", "MFLAGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tri_portal.settings",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def production_env(database: Path, **overrides) -> dict:
    return app_env(
        **{
            "TRI_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "0",
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"sqlite:///{database}",
            **overrides,
        }
    )


def manage(*args, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- manage.py check --deploy ----------------------------------------------------


def test_deploy_check_reports_no_issue_with_the_production_environment(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path / "db.sqlite3")
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert CHECK_ID.findall(result.stdout + result.stderr) == []


def test_deploy_check_fails_on_the_development_key_outside_production(tmp_path):
    env = app_env(DEBUG="0", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "(tri_portal.E001) SECRET_KEY is the development default" in result.stderr


def test_outside_production_the_https_defaults_are_off_and_the_deploy_check_says_so(tmp_path):
    env = app_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    ids = {match.group(0) for match in CHECK_ID.finditer(result.stderr)}
    assert result.returncode != 0
    assert ids == {"(security.W004)", "(security.W008)"}  # HSTS and HTTPS redirect


# --- production refuses development settings: nothing starts --------------------

MISCONFIGURATIONS = {
    "debug-on": {"DEBUG": "1"},
    "development-key": {"SECRET_KEY": None},
    "debug-on-and-development-key": {"DEBUG": "1", "SECRET_KEY": None},
}


@pytest.mark.fault
@pytest.mark.parametrize("overrides", MISCONFIGURATIONS.values(), ids=MISCONFIGURATIONS.keys())
def test_production_refuses_to_run_a_command_with_development_settings(tmp_path, overrides):
    database = tmp_path / "db.sqlite3"

    result = manage("migrate", "--noinput", env=production_env(database, **overrides))

    assert result.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {REFUSAL}" in result.stderr
    assert "set DEBUG=0 and SECRET_KEY to a long random value" in result.stderr
    assert result.stdout == ""
    assert not database.exists()  # nothing ran, not even the database connection


@pytest.mark.fault
def test_production_refuses_even_the_system_check_with_debug_on(tmp_path):
    result = manage("check", env=production_env(tmp_path / "db.sqlite3", DEBUG="1"))

    assert result.returncode != 0
    assert REFUSAL in result.stderr
    assert "System check" not in result.stdout + result.stderr


@pytest.mark.fault
def test_production_gunicorn_refuses_to_serve_with_debug_on(tmp_path):
    port = free_port()
    result = subprocess.run(
        [str(BIN / "gunicorn"), "tri_portal.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=production_env(tmp_path / "db.sqlite3", DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert REFUSAL in result.stderr


@pytest.mark.fault
def test_production_celery_worker_refuses_the_development_key(tmp_path):
    result = subprocess.run(
        [str(BIN / "celery"), "-A", "tri_portal", "worker", "--pool=solo"],
        cwd=ROOT,
        env=production_env(tmp_path / "db.sqlite3", SECRET_KEY=None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert REFUSAL in result.stderr


# --- gunicorn behind a TLS proxy ---------------------------------------------------


class Server:
    def __init__(self, port: int, log: Path, user_id: int):
        self.port, self.log, self.user_id = port, log, user_id

    def get(self, path: str, *, https: bool = True, headers: dict | None = None, **kwargs):
        return self.request("GET", path, https=https, headers=headers, **kwargs)

    def request(self, method, path, *, https=True, headers=None, body=None, host=HOST):
        all_headers = {"Host": host, **({"X-Forwarded-Proto": "https"} if https else {})}
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            response.body = response.read()
            response.text = response.body.decode(errors="replace")
            return response
        finally:
            connection.close()

    def log_entries(self) -> list[dict]:
        """The portal's lines on gunicorn's stderr (gunicorn's own lines start with '[')."""
        entries = []
        for line in self.log.read_text().splitlines():
            if line.startswith("["):
                continue
            entries.append(json.loads(line))  # every other line is one JSON object
        return entries

    def request_line(self, request_id: str) -> dict:
        [entry] = [
            e
            for e in self.log_entries()
            if e.get("request_id") == request_id and e["logger"] == "tri_portal.requests"
        ]
        return entry


def wait_for(server: Server, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{server.log.read_text()}")
        try:
            if server.get("/healthz", https=False).status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {timeout} s:\n{server.log.read_text()}")


@contextmanager
def gunicorn(env: dict, tmp: Path, user_id: int, workers: int):
    """gunicorn serving the portal with ``env`` on a free port until the block ends
    (its standard error in ``tmp/gunicorn.stderr``); ready once /healthz answers."""
    port = free_port()
    log = tmp / "gunicorn.stderr"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "tri_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--no-control-socket",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = Server(port, log, user_id)
    try:
        wait_for(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """gunicorn serving the portal with the production environment, behind a (pretend)
    TLS proxy that sets X-Forwarded-Proto; static files from STATIC_ROOT (whitenoise)."""
    assert (ROOT / "staticfiles" / "staticfiles.json").is_file(), (
        "run `manage.py collectstatic` first (make test does)"
    )
    tmp = tmp_path_factory.mktemp("production")
    env = production_env(tmp / "db.sqlite3", USE_X_FORWARDED_PROTO="1")
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    created = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"print(get_user_model().objects.create_user('referent.prod', 'prod@example.org', '{PASSWORD}').pk)",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    with gunicorn(env, tmp, int(created.stdout.strip()), workers=2) as server:
        yield server


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_plain_http_is_redirected_permanently_to_https(production_server):
    response = production_server.get("/contrats/?page=2", https=False)

    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/contrats/?page=2"


def test_the_home_page_over_https_carries_every_security_header(production_server):
    response = production_server.get("/")

    assert response.status == 200
    assert "Contrats d'objectifs" in response.text.replace("&#x27;", "'")
    assert (
        response.getheader("Strict-Transport-Security")
        == "max-age=31536000; includeSubDomains; preload"
    )
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response.getheader("X-Request-ID"))
    csp = csp_directives(response.getheader("Content-Security-Policy"))
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in csp.values() for value in values)


def test_the_csrf_cookie_is_secure_httponly_and_lax(production_server):
    response = production_server.get(reverse("login"))

    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookies.load(header)
    csrf = cookies["csrftoken"]
    assert response.status == 200
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")


def log_in_over_https(server: Server, username: str, password: str):
    page = server.get(reverse("login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    cookie = SimpleCookie()
    cookie.load(page.getheader("Set-Cookie"))
    return server.request(
        "POST",
        reverse("login"),
        body=urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie['csrftoken'].value}",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{reverse('login')}",
        },
    )


def test_a_real_login_over_the_proxy_sets_a_secure_session_and_logs_the_user_id_only(
    production_server,
):
    response = log_in_over_https(production_server, "referent.prod", PASSWORD)

    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookies.load(header)
    session = cookies["sessionid"]
    assert response.status == 302
    assert response.getheader("Location") == reverse("officer:dashboard")
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    line = production_server.request_line(response.getheader("X-Request-ID"))
    assert (line["method"], line["path"], line["status"]) == ("POST", "/compte/login/", 302)
    assert line["user_id"] == production_server.user_id
    during = [
        entry["logger"]
        for entry in production_server.log_entries()
        if entry.get("request_id") == line["request_id"]
    ]
    assert "axes.handlers.database" in during  # lines written while serving carry its id
    logs = production_server.log.read_text()
    assert "referent.prod" not in logs
    assert PASSWORD not in logs


def test_healthz_answers_plain_http_without_redirect(production_server):
    response = production_server.get("/healthz", https=False)

    assert response.status == 200
    assert json.loads(response.text) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "eager", "worker": "eager"},
    }
    assert "no-store" in response.getheader("Cache-Control")


def test_collected_static_files_are_served_by_whitenoise_with_a_long_cache(production_server):
    home = production_server.get("/")
    stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', home.text).group(1)

    response = production_server.get(stylesheet, headers={"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/css")
    assert response.getheader("Content-Encoding") == "gzip"
    assert b".skip-link" in gzip.decompress(response.body)
    assert "immutable" in response.getheader("Cache-Control")
    assert response.getheader("Strict-Transport-Security")


@pytest.mark.fault
def test_an_unknown_host_is_refused(production_server):
    response = production_server.get("/", host="attaquant.example.com")

    assert response.status == 400
    assert "attaquant" not in response.text


@pytest.mark.fault
def test_an_error_page_shows_no_debug_information(production_server):
    response = production_server.get("/contrats/999999/")

    assert response.status == 404
    assert "Traceback" not in response.text
    assert "DEBUG" not in response.text
    assert "urlpatterns" not in response.text


def test_every_request_is_one_json_log_line_with_its_request_id(production_server):
    responses = [
        production_server.get("/", https=False),
        production_server.get("/contrats/?q=confidentiel"),
        production_server.get("/healthz", https=False),
        production_server.get("/", headers={"X-Request-ID": "proxy-4f2a.9"}),
    ]

    for response in responses:
        line = production_server.request_line(response.getheader("X-Request-ID"))
        assert line["logger"] == "tri_portal.requests"
        assert line["level"] == "INFO"
        assert line["status"] == response.status
        assert line["method"] == "GET"
        assert isinstance(line["duration_ms"], float)
        assert line["time"].endswith("+00:00")
        assert "user_id" not in line  # anonymous
    assert production_server.request_line("proxy-4f2a.9")["path"] == "/"
    contracts_line = production_server.request_line(responses[1].getheader("X-Request-ID"))
    assert contracts_line["path"] == "/contrats/"
    assert "confidentiel" not in production_server.log.read_text()


# --- docker-compose runs the production settings and probes /healthz ----------------

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_app_service_in_production_mode():
    for name in ("web", "worker", "beat", "migrate"):
        env = COMPOSE["services"][name]["environment"]
        assert env["TRI_ENV"] == "production", name
        assert "USE_X_FORWARDED_PROTO" in env, name  # behind the TLS proxy: no redirect loop


def test_compose_web_health_check_calls_healthz_on_the_gunicorn_port():
    web = COMPOSE["services"]["web"]
    check = " ".join(web["healthcheck"]["test"])
    port = re.search(r"--bind 0\.0\.0\.0:(\d+)", web["command"]).group(1)

    assert f"http://127.0.0.1:{port}/healthz" in check


@pytest.mark.fault
def test_compose_web_health_check_passes_when_allowed_hosts_names_only_the_public_host(
    production_server,
):
    command = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    code = command[3].replace("127.0.0.1:8000", f"127.0.0.1:{production_server.port}")

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=app_env(ALLOWED_HOSTS=HOST, TRI_ENV="production"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-500:]


# --- no inline script on any page (script-src 'self' forbids them) ---------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def csp_offences(html: str, *, styles: bool) -> list[str]:
    offences = INLINE_SCRIPT.findall(html) + EVENT_HANDLER.findall(html)
    offences += re.findall(r"""(?:href|src|action)=["']\s*javascript:""", html)
    if styles:  # style-src 'self': no style attribute nor <style> element either
        offences += re.findall(r"<style\b[^>]*>|<[^>]+\sstyle=", html)
    return offences


@pytest.fixture
def demo_contract(demo):
    """A public contract of the demo."""
    return Contract.objects.public().order_by("pk").first()


def offences_on(client, urls, *, styles: bool) -> dict[str, list[str]]:
    offences = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert csp_directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]
        if found := csp_offences(response.content.decode(), styles=styles):
            offences[url] = found
    return offences


def test_no_page_has_an_inline_script_or_handler_the_policy_would_block(client, demo_contract):
    territory = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    public = [
        reverse("home"),
        reverse("contracts"),
        reverse("contract", args=[demo_contract.pk]),
        reverse("regional_dashboard"),
        reverse("map"),
        reverse("open_data"),
        reverse("territory", args=[territory.slug]),
        reverse("legal_notice"),
        reverse("accessibility"),
        reverse("privacy"),
        reverse("method"),
        reverse("coverage_search"),
        reverse("login"),
        reverse("password_reset"),
    ]
    signed_in = [
        reverse("officer:dashboard"),
        reverse("staff_dashboard"),
        reverse("staff_reports"),
        reverse("api_tokens"),
        reverse("admin:index"),
        reverse("admin:contracts_contract_changelist"),
        reverse("admin:contracts_contract_change", args=[demo_contract.pk]),
    ]
    charts = client.get(reverse("contract", args=[demo_contract.pk])).content.decode()
    assert 'type="application/json"' in charts  # the charts' data: JSON blocks, not code

    public_offences = offences_on(client, public, styles=True)
    client.force_login(UserFactory(username="agent.csp", is_staff=True, is_superuser=True))
    signed_in_offences = offences_on(client, signed_in, styles=False)

    assert public_offences == {}
    assert signed_in_offences == {}


@pytest.mark.parametrize("url_name", ["api:docs", "api:redoc"])
def test_api_documentation_pages_widen_styles_and_workers_but_never_scripts(client, db, url_name):
    response = client.get(reverse(url_name))

    csp = csp_directives(response["Content-Security-Policy"])
    assert response.status_code == 200
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in csp["style-src"]
    assert csp["worker-src"] == ["blob:"]
    assert INLINE_SCRIPT.findall(response.content.decode()) == []
