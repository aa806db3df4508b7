"""Who validated a value, as the public reads it: an organisation (the Region, ADEME),
never a person's username.

A staff member belongs to the organisation whose Django group they are in (staff set it
in the admin, on the user: groups « Région Hauts-de-France » or « ADEME Hauts-de-France »).
This module is the one place that turns a user into an organisation: the pages, the
contract CSV, the API and the open-data files all ask it.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Organisation:
    group: str  # the Django group's name, also the organisation's full name (API, files)
    short: str  # how a sentence names it: « validée par la Région »


REGION = Organisation("Région Hauts-de-France", _("la Région"))
ADEME = Organisation("ADEME Hauts-de-France", _("l'ADEME"))
VALIDATOR_ORGANISATIONS = (REGION, ADEME)
BY_GROUP = {organisation.group: organisation for organisation in VALIDATOR_ORGANISATIONS}


def organisation_named(group_name: str | None) -> Organisation | None:
    """The validating organisation of a group name (None: not a validator's group)."""
    return BY_GROUP.get(group_name or "")


def organisation_of(user) -> Organisation | None:
    """The organisation ``user`` validates for (None: none, or no user)."""
    if user is None:
        return None
    names = sorted(user.groups.filter(name__in=BY_GROUP).values_list("name", flat=True))
    return BY_GROUP[names[0]] if names else None


def organisation_subquery(user_field: str) -> Subquery:
    """SQL: the name of the validating organisation of the user in ``user_field`` (NULL:
    none), to annotate a queryset of values without one query per row."""
    return Subquery(
        Group.objects.filter(user=OuterRef(user_field), name__in=BY_GROUP)
        .order_by("name")
        .values("name")[:1]
    )


def join_organisation(user, organisation: Organisation) -> None:
    """Put a staff member in ``organisation`` (its group is created if missing)."""
    group, _created = Group.objects.get_or_create(name=organisation.group)
    user.groups.add(group)
