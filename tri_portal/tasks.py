from celery import shared_task


@shared_task(name="tri_portal.ping")
def ping() -> str:
    """Round trip used by health checks and tests to prove a worker is alive."""
    return "pong"


def safe_delay(task, *args, **kwargs) -> bool:
    """Send ``task`` to the workers without ever failing the caller: a broker outage
    must not undo or block a user's action. Returns True if sent (or run eagerly)."""
    import logging

    try:
        task.delay(*args, **kwargs)
    except Exception:
        logging.getLogger(__name__).warning("Tâche %s non envoyée.", task.name, exc_info=True)
        return False
    return True
