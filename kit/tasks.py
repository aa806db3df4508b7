"""Sending Celery tasks from a request or a service without ever failing the caller."""

import logging
from contextlib import contextmanager
from contextvars import ContextVar

# While a bulk operation holds them (``tasks_held``): the tasks sent meanwhile.
_held: ContextVar[list | None] = ContextVar("held_tasks", default=None)


def _send(task, args, kwargs) -> bool:
    try:
        task.delay(*args, **kwargs)
    except Exception:
        logging.getLogger(__name__).warning("Tâche %s non envoyée.", task.name, exc_info=True)
        return False
    return True


def safe_delay(task, *args, **kwargs) -> bool:
    """Send ``task`` to the workers without ever failing the caller: a broker outage
    must not undo or block a user's action. Returns True if sent (or run eagerly, or
    held by :func:`tasks_held`)."""
    held = _held.get()
    if held is not None:
        held.append((task, args, kwargs))
        return True
    return _send(task, args, kwargs)


@contextmanager
def tasks_held(drop: tuple[str, ...] = ()):
    """Hold the tasks sent through :func:`safe_delay` in the block, then send each
    distinct one (same task, same arguments) once when the block ends — a bulk load
    that validates a hundred reports sends one recompute, not a hundred. Tasks named in
    ``drop`` are not sent at all (e-mails about a bulk load's own workflow steps). The
    block's transactions should have ended inside it (their on-commit sends are held)."""
    held: list = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    sent = set()
    for task, args, kwargs in held:
        key = (task.name, repr(args), repr(sorted(kwargs.items())))
        if task.name in drop or key in sent:
            continue
        sent.add(key)
        _send(task, args, kwargs)
