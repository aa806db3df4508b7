"""Cheap public pages: anonymous GET responses are cached and carry an ETag, both
keyed on a *data version* that changes whenever contracts, targets, validated
values, aggregates or the indicator catalogue change (so a page is never stale
after a change).

What is cached for a version (a page, a row count, the catalogue) is stored with
that version, in the shared cache and in a small memory of each process; the
version itself is read once per request. A page this process already served for
the current version costs that one read, nothing more."""

import gzip
import hashlib
import os
import pickle
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from contextvars import ContextVar
from functools import wraps
from threading import Lock

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

VERSION_KEY = "tri:public-data-version"
PAGE_TIMEOUT = 60 * 60
BROWSER_MAX_AGE = 60
# A cached page at least this long is also kept gzipped, for the clients that accept it
# (the map's SVG: 735 KB → 189 KB): compressed once per data version, not per request.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
LOCAL_ENTRIES = 256  # pages, counts… kept in each process's memory (a few MB)
WATCH_MAX_AGE = 1.0  # seconds: the version is read from the cache at least this often


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new redis-py client for every cache operation, which costs more
    than the GET itself on the loopback (the client copies its table of response
    callbacks). One client per pool does, holding its connection (no pool check-out
    per command; the client serialises its commands with a lock, and reconnects)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._client(connection_pool=pool, single_connection_client=True)
            self._clients[id(pool)] = client
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache (``CACHE_URL=redis://…``), one redis-py client per pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool

    def clear(self):
        """Also forget what this process keeps in memory (pages, counts, the version)."""
        super().clear()
        local_memory.clear()
        _version_watch.forget()

    def validate_key(self, key):
        """Redis takes any key: no memcached portability warnings (a loop over every
        character of every key)."""

    def set_and_publish(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (no expiry) and publish it on the channel of
        the same name, atomically: subscribers see the versions in the order stored."""
        name = self.make_key(key)
        pipe = self._cache.get_client(write=True).pipeline(transaction=True)
        pipe.set(name, self._cache._serializer.dumps(value))
        pipe.publish(name, value)
        pipe.execute()

    def subscribe(self, key: str):
        """A subscription (its own connection) to the channel ``set_and_publish`` uses."""
        pubsub = self._cache.get_client(write=True).pubsub()
        pubsub.subscribe(self.make_key(key))
        return pubsub


# --- The data version, read once per request ---------------------------------------

# Inside a request: a one-item list holding the version read by that request.
_request_version: ContextVar[list | None] = ContextVar("tri_request_version", default=None)


def _open_request_scope(**kwargs) -> None:
    _request_version.set([None])


def _close_request_scope(**kwargs) -> None:
    _request_version.set(None)


request_started.connect(_open_request_scope, dispatch_uid="tri-data-version-scope-open")
request_finished.connect(_close_request_scope, dispatch_uid="tri-data-version-scope-close")


def _new_version() -> str:
    # Unique even for two versions made in the same microsecond (or after a cache clear).
    return f"{int(timezone.now().timestamp() * 1_000_000)}-{secrets.token_hex(4)}"


def _backend():
    return caches[DEFAULT_CACHE_ALIAS]


def _read_version(backend) -> str:
    version = backend.get(VERSION_KEY)
    if version is None:
        backend.add(VERSION_KEY, _new_version(), timeout=None)
        version = backend.get(VERSION_KEY)
    return str(version)


class _VersionWatch:
    """This process's copy of the data version, kept current through Redis: every new
    version is published (``bump_data_version``) on a channel each process subscribes
    to, so a request asks its subscription for news (redis-py reads without waiting)
    instead of making a round trip to Redis. The version is read from the cache again
    on every (re)subscription, on any error, and at least every WATCH_MAX_AGE
    seconds."""

    def __init__(self):
        self._lock = Lock()
        self._pubsub = None
        self._pid = None
        self._version: str | None = None
        self._read_at = 0.0

    def version(self, backend) -> str:
        with self._lock:
            try:
                connected = self._pubsub is not None and self._pubsub.connection.is_connected
                if not connected or self._pid != os.getpid():  # new, disconnected, or forked
                    self._reset()
                    self._pubsub, self._pid = backend.subscribe(VERSION_KEY), os.getpid()
                while (message := self._pubsub.get_message(timeout=0.0)) is not None:
                    if message["type"] == "message":
                        self._version = message["data"].decode()
                    else:  # (re)subscribed, after a reconnection too: versions may be missed
                        self._version = None
            except Exception:
                self._reset()
                return _read_version(backend)
            if self._version is None or time.monotonic() - self._read_at > WATCH_MAX_AGE:
                self._version, self._read_at = _read_version(backend), time.monotonic()
            return self._version

    def remember(self, version: str) -> None:
        """This process made ``version``: use it now, not when its own message arrives."""
        with self._lock:
            if self._pubsub is not None and self._pid == os.getpid():
                self._version, self._read_at = version, time.monotonic()

    def forget(self) -> None:
        with self._lock:
            self._reset()

    def _reset(self) -> None:
        pubsub, self._pubsub, self._version = self._pubsub, None, None
        if pubsub is not None:
            with suppress(Exception):
                pubsub.close()


_version_watch = _VersionWatch()


def data_version() -> str:
    """The current version of the public data (read once per request)."""
    scope = _request_version.get()
    if scope is not None and scope[0] is not None:
        return scope[0]
    backend = _backend()
    watched = hasattr(backend, "subscribe")  # the Redis cache of production
    version = _version_watch.version(backend) if watched else _read_version(backend)
    if scope is not None:
        scope[0] = version
    return version


def bump_data_version_on_commit(*args, **kwargs) -> None:
    """Signal receiver: public data are changing — forget every cached public page
    once the change is committed (at once outside a transaction). Bumping inside the
    transaction would let a request in between cache the old data under the new
    version, served until the next change. (As many bumps as before, one per signal:
    they just wait for the commit.)"""
    transaction.on_commit(bump_data_version)


def bump_data_version(*args, **kwargs) -> None:
    """Public data changed: forget every cached public page (callers in a transaction
    use :func:`bump_data_version_on_commit`)."""
    version = _new_version()
    backend = _backend()
    if hasattr(backend, "set_and_publish"):
        backend.set_and_publish(VERSION_KEY, version)
        _version_watch.remember(version)
    else:
        cache.set(VERSION_KEY, version, timeout=None)
    scope = _request_version.get()
    if scope is not None:
        scope[0] = version


# --- Values kept for a version ----------------------------------------------------


class _LocalMemory:
    """The last values this process used, each with its data version: a value is
    reused only for the version it was made for (so never stale)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, tuple[str, object]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str, version: str):
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
        return entry[1] if entry is not None and entry[0] == version else None

    def put(self, key: str, version: str, value) -> None:
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


local_memory = _LocalMemory(LOCAL_ENTRIES)


def _shared_get(key: str, version: str):
    entry = cache.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return entry[1]
    return None


def versioned_value(key: str, compute: Callable[[], object], timeout: int = PAGE_TIMEOUT):
    """What ``compute()`` gives for the current data version: from this process's
    memory, else from the shared cache, else computed (and kept in both). The value
    is shared: treat it as read-only."""
    version = data_version()
    value = local_memory.get(key, version)
    if value is None:
        value = _shared_get(key, version)
        if value is None:
            value = compute()
            cache.set(key, (version, value), timeout)
        local_memory.put(key, version, value)
    return value


# --- Public pages -----------------------------------------------------------------


def _prepared(response):
    """The headers every cached public page carries, set once before it is stored."""
    patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    patch_vary_headers(response, ["Cookie", "Accept-Encoding"])
    return response


def _cached_page(key: str, version: str):
    """The page stored for ``version`` (a new response object each time) or None."""
    data = local_memory.get(key, version)
    if data is None:
        data = _shared_get(key, version)
        if data is None:
            return None
        local_memory.put(key, version, data)
    return pickle.loads(data)


def _store_page(key: str, version: str, response) -> None:
    data = pickle.dumps(response, pickle.HIGHEST_PROTOCOL)
    cache.set(key, (version, data), PAGE_TIMEOUT)
    local_memory.put(key, version, data)


def _gzipped(response):
    """A gzip copy of a rendered page worth compressing, else None. The page is the same
    for every anonymous reader (no token, no personal data), so compressing it leaks
    nothing (BREACH needs a secret in the body)."""
    if (
        response.status_code != 200
        or response.streaming
        or response.has_header("Content-Encoding")
        or len(response.content) < GZIP_MIN_BYTES
    ):
        return None
    compressed = pickle.loads(pickle.dumps(response, pickle.HIGHEST_PROTOCOL))
    compressed.content = gzip.compress(response.content, GZIP_LEVEL, mtime=0)
    compressed["Content-Encoding"] = "gzip"
    compressed["Content-Length"] = str(len(compressed.content))
    return compressed


def _page(request, view, args, kwargs, key: str, version: str):
    """The page from the cache, or rendered and stored; gzipped when the client accepts
    it and the page is worth it (the gzip copy is cached beside the plain one)."""
    wants_gzip = bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    if wants_gzip and (response := _cached_page(f"{key}:gz", version)) is not None:
        return response
    response = _cached_page(key, version)
    if response is None:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response = response.render()
        _prepared(response)
        if response.status_code != 200:
            return response
        _store_page(key, version, response)
    if wants_gzip and (compressed := _gzipped(response)) is not None:
        _store_page(f"{key}:gz", version, compressed)
        return compressed
    return response


def public_page(view):
    """Cache an anonymous GET view (plain and gzipped) and answer conditional requests
    (304)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        path = request.get_full_path()
        version = data_version()
        digest = hashlib.sha256(f"{version}:{path}".encode()).hexdigest()[:32]
        # One tag per representation (plain, gzip) of this path at this data version;
        # either one means the reader already holds this version.
        etag, gzip_etag = f'"{digest}"', f'"{digest}-gz"'
        held = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
        if held & {etag, gzip_etag}:
            response = _prepared(HttpResponseNotModified())
        else:
            key = f"tri:page:{hashlib.sha256(path.encode()).hexdigest()[:32]}"
            response = _page(request, view, args, kwargs, key, version)
        response["ETag"] = gzip_etag if response.get("Content-Encoding") == "gzip" else etag
        return response

    return wrapped
