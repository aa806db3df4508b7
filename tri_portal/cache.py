"""Cheap public pages: anonymous GET responses are cached and carry an ETag, both
keyed on a *data version* that changes whenever contracts, targets, validated
values or aggregates change (so a page is never stale after a change)."""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

VERSION_KEY = "tri:public-data-version"
PAGE_TIMEOUT = 60 * 60
BROWSER_MAX_AGE = 60


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


def public_page(view):
    """Cache an anonymous GET view and answer conditional requests (304)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        path = request.get_full_path()
        version = data_version()
        digest = hashlib.sha256(f"{version}:{path}".encode()).hexdigest()[:32]
        etag = f'"{digest}"'
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = HttpResponseNotModified()
        else:
            key = f"tri:page:{digest}"
            response = cache.get(key)
            if response is None:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render"):
                    response = response.render()
                if response.status_code == 200:
                    cache.set(key, response, PAGE_TIMEOUT)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapped
