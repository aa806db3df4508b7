import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tri_portal.settings")

application = get_asgi_application()

from tri_portal.production import ensure_production_ready  # noqa: E402

ensure_production_ready()
