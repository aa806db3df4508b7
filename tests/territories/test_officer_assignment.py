import pytest
from django.core.exceptions import ValidationError

from territories.models import OfficerAssignment
from tests.factories import UserFactory


def test_an_officer_is_assigned_once_per_territory(fourmies):
    officer = UserFactory()
    OfficerAssignment.objects.create(user=officer, territory=fourmies)

    duplicate = OfficerAssignment(user=officer, territory=fourmies)

    with pytest.raises(ValidationError, match="déjà affecté à ce territoire"):
        duplicate.full_clean()


def test_assignments_keep_their_history(fourmies):
    assignment = OfficerAssignment.objects.create(user=UserFactory(), territory=fourmies)
    assignment.delete()

    assert [h.history_type for h in OfficerAssignment.history.all()] == ["-", "+"]
