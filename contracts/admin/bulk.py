"""Admin actions that apply a service to each selected object."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def run_service(modeladmin, request, objects, service, success, **kwargs):
    """Apply a service to each selected object; each one is its own transaction."""
    done = 0
    for obj in objects:
        try:
            service(obj, request.user, **kwargs)
            done += 1
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj} : {' '.join(exc.messages)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, success % {"count": done}, messages.SUCCESS)
