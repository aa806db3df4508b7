"""Structured logs: a request id and the user id on every line written while serving a
request, one summary line per request and per Celery task (duration, status), and a
JSON formatter (one object per line) for production. No personal data: the user is
logged by id, paths without their query string, never a header or a body."""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
current_task_id: ContextVar[str | None] = ContextVar("task_id", default=None)

logger = logging.getLogger("tri_portal.requests")
task_logger = logging.getLogger("tri_portal.tasks")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EXTRA_FIELDS = (
    "request_id",
    "task_id",
    "user_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "task",
    "state",
)


class ContextFilter(logging.Filter):
    """Stamp every record with the current request or task id."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = current_task_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line with a fixed set of fields (EXTRA_FIELDS), the set being
    the point: other libraries' extras (django.request's ``request``, whose repr has the
    query string) stay out. Kept rather than python-json-logger, which writes every extra
    and would need this very whitelist as an override."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestLogMiddleware:
    """First middleware: gives the request an id (the proxy's ``X-Request-ID`` when it
    is sane, else a new one), returns it in the response, logs one line at the end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = current_request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            user = getattr(request, "user", None)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            current_request_id.reset(token)


_task_started: dict[str, float] = {}


def task_started(task_id=None, task=None, **kwargs):
    """Celery ``task_prerun``: the task's lines carry its id."""
    current_task_id.set(task_id)
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **kwargs):
    """Celery ``task_postrun``: one line with the task's outcome and duration."""
    started = _task_started.pop(task_id, None)
    task_logger.info(
        "task %s %s",
        getattr(task, "name", "?"),
        state,
        extra={
            "task": getattr(task, "name", None),
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    current_task_id.set(None)
