"""Cheap public pages: anonymous GET responses are cached and carry an ETag, both
keyed on a *data version* that changes whenever contracts, targets, validated
values or aggregates change (so a page is never stale after a change).

A cached page is stored with the version it was made for, under a key of its own
path: one round trip to Redis reads the version and the page together."""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

VERSION_KEY = "tri:public-data-version"
PAGE_TIMEOUT = 60 * 60
BROWSER_MAX_AGE = 60


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new redis-py client for every cache operation, which costs more
    than the GET itself on the loopback (~0.1 ms: the client copies its table of
    response callbacks); a client is thread-safe, so one per connection pool does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache (``CACHE_URL=redis://…``), one redis-py client per pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool


def data_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = str(int(timezone.now().timestamp() * 1000))
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return str(version)


def bump_data_version(*args, **kwargs) -> None:
    """Signal receiver: public data changed, forget every cached public page."""
    cache.set(VERSION_KEY, str(int(timezone.now().timestamp() * 1_000_000)), timeout=None)


def versioned_get(key: str) -> tuple[str, object | None]:
    """The data version, and what ``key`` holds for that version (None if nothing or
    only for an older one), in one round trip to the cache."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return data_version(), None
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == str(version):
        return str(version), entry[1]
    return str(version), None


def versioned_set(key: str, version: str, value, timeout: int = PAGE_TIMEOUT) -> None:
    """Store ``value`` under ``key`` for ``version`` (see versioned_get)."""
    cache.set(key, (version, value), timeout)


def public_page(view):
    """Cache an anonymous GET view and answer conditional requests (304)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        path = request.get_full_path()
        key = f"tri:page:{hashlib.sha256(path.encode()).hexdigest()[:32]}"
        version, response = versioned_get(key)
        digest = hashlib.sha256(f"{version}:{path}".encode()).hexdigest()[:32]
        etag = f'"{digest}"'
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponseNotModified()
        elif response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response = response.render()
            if response.status_code == 200:
                versioned_set(key, version, response)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapped
