"""The login lockout behind one real reverse proxy: gunicorn on the test database with
NUM_PROXIES=1 (as in docker-compose), and in front of it a small proxy that appends the
address of its peer to X-Forwarded-For the way nginx's ``$proxy_add_x_forwarded_for``
does. Two browsers reach the proxy from two loopback addresses (127.0.0.2, 127.0.0.3),
so the proxy sees two different clients while gunicorn only ever sees the proxy.

Policy under test: failures count per username *and* client address. Five wrong
passwords from one client lock that account for that client only; another client
behind the same proxy logs in, to another account or to the same one; what a client
writes in X-Forwarded-For itself does not get it out of the lock."""

import http.client
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

from tests.factories import UserFactory
from tests.faults.test_load import Gunicorn
from tests.realservices import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "mot-de-passe-solide-2026"
LOCKED = "Connexion temporairement bloquée"
CLIENT_A, CLIENT_B = "127.0.0.2", "127.0.0.3"
# Not forwarded by a proxy: they describe one connection, not the request.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


class ForwardingHandler(BaseHTTPRequestHandler):
    """Forwards each request to the upstream port, X-Forwarded-For set to the client's
    header (if any) followed by the address of the peer: ``$proxy_add_x_forwarded_for``."""

    upstream_port: int

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in HOP_BY_HOP and name.lower() != "x-forwarded-for"
        }
        sent = self.headers.get_all("X-Forwarded-For") or []
        headers["X-Forwarded-For"] = ", ".join([*sent, self.client_address[0]])
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            content = response.read()
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP | {"server", "date"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = forward

    def log_message(self, format, *args):
        pass


class ReverseProxy:
    def __init__(self, upstream_port: int):
        handler = type("Handler", (ForwardingHandler,), {"upstream_port": upstream_port})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """A browser at ``address`` (the source address of its connections to the proxy),
    keeping its cookies."""

    def __init__(self, proxy: ReverseProxy, address: str):
        self.proxy, self.address = proxy, address
        self.cookies: dict[str, str] = {}

    def request(self, method, path, *, form=None, forwarded=None):
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if forwarded is not None:
            headers["X-Forwarded-For"] = forwarded  # written by the client itself
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.proxy.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def log_in(self, username: str, password: str, *, forwarded=None):
        """The login form, posted with the CSRF token of the page it came from."""
        if "csrftoken" not in self.cookies:
            self.request("GET", reverse("login"))
        form = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": self.cookies["csrftoken"],
        }
        return self.request("POST", reverse("login"), form=form, forwarded=forwarded)


@pytest.fixture(scope="module")
def proxy(django_db_setup, tmp_path_factory):
    """gunicorn with NUM_PROXIES=1 on the test database, behind the reverse proxy."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NUM_PROXIES", "1")
        server = Gunicorn(tmp_path_factory.mktemp("lockout") / "gunicorn.log")
    proxy = ReverseProxy(server.port)
    try:
        assert wait_until(server.ready, timeout=60), server.log_tail()
        yield proxy
    finally:
        proxy.stop()
        server.stop()


@pytest.fixture
def accounts(transactional_db):
    """Two officers, committed (gunicorn reads them through its own connections). Their
    password is hashed with gunicorn's hasher (not the tests' fast one), at few
    iterations so that each wrong password costs milliseconds, not a second."""
    for username in ("referent.fourmies", "referent.lens"):
        UserFactory(username=username)
    quick = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt(), 1000)
    get_user_model().objects.update(password=quick)


@pytest.fixture
def client_a_locked(proxy, accounts):
    """Client A got the password of referent.fourmies wrong five times."""
    a = Browser(proxy, CLIENT_A)
    statuses = [a.log_in("referent.fourmies", "faux").status for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    return a


def logged_in(response, browser: Browser) -> bool:
    return response.status == 302 and "sessionid" in browser.cookies


def test_five_wrong_passwords_lock_the_account_for_that_client(client_a_locked):
    response = client_a_locked.log_in("referent.fourmies", PASSWORD)

    assert response.status == 429
    assert f"<h1>{LOCKED}</h1>" in response.text
    assert "la connexion est bloquée pendant 15 minutes" in response.text
    assert "sessionid" not in client_a_locked.cookies


def test_the_failures_are_counted_against_the_client_not_the_proxy(client_a_locked):
    attempts = list(AccessAttempt.objects.values_list("username", "ip_address"))

    assert attempts == [("referent.fourmies", CLIENT_A)]


def test_another_client_behind_the_same_proxy_logs_in_to_another_account(proxy, client_a_locked):
    b = Browser(proxy, CLIENT_B)

    assert logged_in(b.log_in("referent.lens", PASSWORD), b)


def test_another_client_behind_the_same_proxy_logs_in_to_the_same_account(proxy, client_a_locked):
    """The lock is per username and address: the officer at another address is not
    locked out of their own account by someone else's guesses."""
    b = Browser(proxy, CLIENT_B)

    assert logged_in(b.log_in("referent.fourmies", PASSWORD), b)


def test_the_locked_client_can_still_log_in_to_another_account(proxy, client_a_locked):
    colleague = Browser(proxy, CLIENT_A)  # same office address, another person

    assert logged_in(colleague.log_in("referent.lens", PASSWORD), colleague)


@pytest.mark.parametrize(
    "forwarded",
    [CLIENT_B, "198.51.100.9", "198.51.100.9, 203.0.113.4", '"198.51.100.9', "unknown"],
    ids=["other-client", "public-address", "two-hops", "unclosed-quote", "not-an-address"],
)
def test_a_forged_x_forwarded_for_does_not_escape_the_lock(proxy, client_a_locked, forwarded):
    a = Browser(proxy, CLIENT_A)

    response = a.log_in("referent.fourmies", PASSWORD, forwarded=forwarded)

    assert response.status == 429
    assert LOCKED in response.text
    assert "sessionid" not in a.cookies
