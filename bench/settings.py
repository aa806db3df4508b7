"""Settings of the HTTP benchmarks (B3, B4): the portal's settings, served by gunicorn
against the real PostgreSQL (``DATABASE_URL``) and Redis cache (``CACHE_URL``, Redis
database 13 by default), with the floor views of ``bench.urls`` and throttling rates so
high that the load is never throttled. The throttle classes stay in the request path:
reading and writing their history in Redis is part of what an API request costs."""

from tri_portal.settings import *  # noqa: F403
from tri_portal.settings import REST_FRAMEWORK, env_str

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

CACHE_URL = env_str("CACHE_URL", "redis://127.0.0.1:6379/13")
CACHES = {"default": {"BACKEND": "kit.cache.RedisCache", "LOCATION": CACHE_URL}}

# Per second, not per minute: the history DRF keeps for the one client address (all the
# load comes from 127.0.0.1) holds the last second of requests, not the last minute's.
BENCH_THROTTLE_RATE = "1000000/s"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": BENCH_THROTTLE_RATE, "user": BENCH_THROTTLE_RATE},
}
