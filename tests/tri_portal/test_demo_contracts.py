import time
from django.core.management import call_command
from contracts.models import *
from indicators.models import *
from territories.models import Territory

def test_explore(db, settings):
    settings.DEBUG = True
    t = time.time()
    call_command("load_demo")
    print("load", time.time() - t)
    for c in Contract.objects.all():
        print(c, c.kind, c.status, c.signed_on, c.start_date, c.end_date, c.territory.kind, c.territory.code, c.territory.siren, c.territory.population, [t.slug for t in c.themes.all()])
        print("  ", list(c.signatories.values_list("organisation", flat=True)))
        for tg in c.targets.all():
            print("   ", tg, tg.entered_as, tg.relative_change)
        print("   reports", c.reports.count(), list(c.reports.values_list("year", "status")))
    print(IndicatorValue.objects.count(), IndicatorValue.objects.filter(is_demo=False).count())
    t = time.time()
    call_command("load_demo")
    print("load2", time.time() - t)
    for tr in Territory.objects.filter(code__in=["200033579","200067965","999000003","59249","59271","246200364"]):
        print(tr.kind, tr.code, tr.name, tr.population)
