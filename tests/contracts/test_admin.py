import re
from django.core.management import call_command
from django.urls import reverse
from contracts.models import *

def test_explore(db, staff_client):
    call_command("load_demo")
    c = Contract.objects.get(reference="COTRI-2017-FOURMIES")
    r = staff_client.get(reverse("admin:contracts_contract_change", args=[c.pk]))
    h = r.content.decode()
    i = h.find("field-achievement_column")
    print(h[i-100:i+600])
