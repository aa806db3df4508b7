"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tri_portal.settings")

app = Celery("tri_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_development_secret(**kwargs):
    from tri_portal.production import ensure_production_ready

    ensure_production_ready()
