"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tri_portal.settings")

app = Celery("tri_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_development_secret(**kwargs):
    from tri_portal.production import ensure_production_ready

    ensure_production_ready()


@task_prerun.connect
def _task_started(**kwargs):
    from tri_portal.observability import task_started

    task_started(**kwargs)


@task_postrun.connect
def _task_finished(**kwargs):
    from tri_portal.observability import task_finished

    task_finished(**kwargs)
