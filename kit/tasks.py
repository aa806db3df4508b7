"""Sending Celery tasks from a request or a service without ever failing the caller."""

import logging


def safe_delay(task, *args, **kwargs) -> bool:
    """Send ``task`` to the workers without ever failing the caller: a broker outage
    must not undo or block a user's action. Returns True if sent (or run eagerly)."""
    try:
        task.delay(*args, **kwargs)
    except Exception:
        logging.getLogger(__name__).warning("Tâche %s non envoyée.", task.name, exc_info=True)
        return False
    return True
