from celery import shared_task


@shared_task(name="tri_portal.ping")
def ping() -> str:
    """Round trip used by health checks and tests to prove a worker is alive."""
    return "pong"
