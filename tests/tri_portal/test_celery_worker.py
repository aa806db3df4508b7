"""With a broker, tasks really go through Redis to a separate Celery worker process."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tri_portal.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_queue():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SECRET_KEY": "test-" + uuid.uuid4().hex * 2}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tri_portal",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.mark.redis
def test_a_real_worker_answers_through_redis(celery_worker_queue, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False

    result = ping.apply_async(queue=celery_worker_queue)

    assert result.get(timeout=30) == "pong"
