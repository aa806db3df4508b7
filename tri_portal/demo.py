"""Demo data for the embedded mode (`make run`). Everything here is marked as demo.

Later issues add the six contracts signed on 24 October 2017 on top of these
territories; each loader is idempotent (get-or-create on natural keys)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from contracts import services
from contracts.models import (
    Action,
    Contract,
    ContractTheme,
    ProgressReport,
    Signatory,
    Target,
    TargetEntry,
    three_year_end_dates,
)
from contracts.themes import sync_themes
from indicators.catalogue import sync_catalogue
from indicators.models import Indicator, IndicatorValue, RegionalGoal
from indicators.organisations import ADEME, REGION, join_organisation
from indicators.relative_change import parse_relative_change, target_from_relative
from indicators.services import PublishedValue, publish_validated_values
from territories.models import OfficerAssignment, SyndicatNature, Territory, TerritoryKind
from territories.services import set_members
from tri_portal import demo_contracts as data
from tri_portal.demo_life import complete_demo_contract, load_demo_life
from tri_portal.demo_observatory import load_observatory_values
from tri_portal.demo_story import load_demo_story

# Syndicats are not in the Etalab data set. The SIREN below is a *demo* value
# (valid Luhn key, 999 prefix unused by real collectivities), stored as not official
# (``siren_verified``) and flagged wherever it is shown: staff set the official one in
# the admin. The syndicat's population is the sum of its communes' (``set_members``).
DEMO_SYNDICATS = [
    {
        "code": "999000003",
        "name": "Syndicat mixte du SCoT Sambre-Avesnois",
        "syndicat_nature": SyndicatNature.SCOT,
        # CA Maubeuge Val de Sambre, CC du Pays de Mormal, CC Cœur de l'Avesnois, CC du Sud Avesnois
        "member_epcis": ["200043396", "200043321", "200043263", "200043404"],
    },
]

DEMO_ADMIN = {"username": "admin", "password": "admin", "email": "admin@example.org"}
STAFF_GROUP = "Agents Région / ADEME"
STAFF_APPS = ["territories", "contracts", "indicators", "django_celery_beat"]
# username -> (password, is_staff, territories as (kind, code))
DEMO_USERS = {
    "agent.region": ("demo-region-2026", True, []),
    "agent.ademe": ("demo-ademe-2026", True, []),
    "referent.arras": ("demo-referent-2026", False, [("epci", "200033579")]),
    "referent.fourmies": ("demo-referent-2026", False, [("commune", "59249")]),
    "referent.lens": ("demo-referent-2026", False, [("epci", "246200364")]),
    "referent.sambre": ("demo-referent-2026", False, [("syndicat", "999000003")]),
    "referent.douaisis": ("demo-referent-2026", False, [("epci", "200044618")]),
    "referent.beauvaisis": ("demo-referent-2026", False, [("epci", "200067999")]),
}
# The organisation each demo agent validates for (shown as « validée par la Région »).
DEMO_ORGANISATIONS = {"agent.region": REGION, "agent.ademe": ADEME}


@transaction.atomic
def load_demo_territories() -> list[Territory]:
    syndicats = []
    for spec in DEMO_SYNDICATS:
        members = list(
            Territory.objects.filter(kind=TerritoryKind.EPCI, code__in=spec["member_epcis"])
        )
        if len(members) != len(spec["member_epcis"]):
            raise LookupError(
                "Territoires de référence manquants : lancez d'abord « manage.py import_territories »."
            )
        syndicat, _ = Territory.objects.get_or_create(
            kind=TerritoryKind.SYNDICAT,
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "siren": spec["code"],
                "siren_verified": False,
                "syndicat_nature": spec["syndicat_nature"],
            },
        )
        set_members(syndicat, members)
        syndicat.refresh_from_db()  # its population: the sum of its communes'
        syndicats.append(syndicat)
    return syndicats


def sync_demo_password(user, password: str) -> None:
    """The documented password in DEBUG mode, no usable password otherwise."""
    if settings.DEBUG:
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
    elif user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])


def ensure_demo_admin() -> bool:
    """The demo superuser (admin/admin); returns True if it was created. Outside
    DEBUG mode an existing demo admin loses its documented password."""
    User = get_user_model()
    user = User.objects.filter(username=DEMO_ADMIN["username"]).first()
    if user is not None:
        sync_demo_password(user, DEMO_ADMIN["password"])
        return False
    if settings.DEBUG:
        User.objects.create_superuser(**DEMO_ADMIN)
        return True
    return False


def ensure_demo_users() -> dict:
    """Staff and officer demo accounts. Their documented passwords only work in DEBUG
    mode; elsewhere the accounts exist (as authors of the demo data) without one."""
    User = get_user_model()
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APPS))
    users = {}
    for username, (password, is_staff, territories) in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org", "is_staff": is_staff}
        )
        sync_demo_password(user, password)
        if is_staff:
            user.groups.add(group)
        if username in DEMO_ORGANISATIONS:
            join_organisation(user, DEMO_ORGANISATIONS[username])
        for kind, code in territories:
            OfficerAssignment.objects.get_or_create(
                user=user, territory=Territory.objects.get(kind=kind, code=code)
            )
        users[username] = user
    return users


def _officer_for(contract_territory, users):
    """The territory's officer; without one, an ADEME agent fills the report on its
    behalf (and the Region's agent validates it: four eyes)."""
    assignment = OfficerAssignment.objects.filter(territory=contract_territory).first()
    return assignment.user if assignment else users["agent.ademe"]


def _past(day: date) -> datetime:
    """10 a.m. on ``day`` in the portal's time zone, never later than now."""
    moment = timezone.make_aware(datetime(day.year, day.month, day.day, 10))
    return min(moment, timezone.now())


def _backdate(model, ids, since: datetime, dates: dict[str, datetime]) -> None:
    """The history rows written since ``since`` for the ``model`` objects ``ids`` take
    the date of the step they record (by the status they hold): the workflow services
    stamp them with today's date, which for a 2015 report would tell the wrong story."""
    history = model.history.model.objects.filter(id__in=ids, history_date__gte=since)
    for status, moment in dates.items():
        history.filter(status=status).update(history_date=moment)


def _report(contract, year, values: dict[str, Decimal], officer, validator, steps) -> None:
    """Take one year's report through the workflow services up to the last of ``steps``
    (``{status: date}`` in workflow order: draft, then submitted, then validated or
    rejected), its history and dates set to those days."""
    started = timezone.now()
    indicators = Indicator.objects.in_bulk(list(values), field_name="identifier")
    report = services.open_report(contract, year, officer)
    services.save_report_values(
        report,
        [
            services.ReportedValue(indicators[i], v, source=data.DEMO_SOURCE)
            for i, v in values.items()
        ],
        officer,
    )
    # A demonstration value beyond its plausibility bound carries a (demo) justification,
    # as an officer would write one before submitting.
    findings = services.value_findings(report)
    if findings:
        IndicatorValue.objects.filter(report=report, indicator_id__in=findings).update(
            justification=data.DEMO_JUSTIFICATION
        )
    moments = {status: _past(day) for status, day in steps.items()}
    if "submitted" in steps:
        services.submit_report(report, officer)
    if "validated" in steps:
        services.validate_report(report, validator)
    elif "rejected" in steps:
        services.reject_report(report, validator, data.REJECTION_REASON)
    reviewed = moments.get("validated") or moments.get("rejected")
    ProgressReport.objects.filter(pk=report.pk).update(
        submitted_at=moments.get("submitted"), reviewed_at=reviewed
    )
    report_values = IndicatorValue.objects.filter(report=report)
    _backdate(ProgressReport, [report.pk], started, moments)
    _backdate(IndicatorValue, list(report_values.values_list("pk", flat=True)), started, moments)
    if "validated" in steps:
        report_values.filter(validated_at__isnull=False).update(validated_at=reviewed)


def _publish(contract, year, values: dict[str, Decimal], officer, validator, opened=None) -> None:
    """Report, submit and validate one year's values, dated as it would have happened:
    opened in March (or on ``opened``), submitted two months and validated three months
    later."""
    opened = opened or date(year + 1, 3, 15)
    steps = {
        "draft": opened,
        "submitted": opened + timedelta(days=61),
        "validated": opened + timedelta(days=97),
    }
    _report(contract, year, values, officer, validator, steps)


def _target(contract, identifier, baseline_year, baseline, target_year, goal: str, by) -> Target:
    """``goal`` is an absolute value ("900") or a relative change ("−30 %", "÷2")."""
    target = Target(
        contract=contract,
        indicator=Indicator.objects.get(identifier=identifier),
        baseline_year=baseline_year,
        baseline_value=Decimal(baseline),
        target_year=target_year,
    )
    if goal.endswith("%") or goal.startswith(("÷", "/")):
        kind, amount = services.parse_relative_change(goal)
        target.target_value = data.quantize(
            services.target_from_relative(target.baseline_value, kind, amount), "0.001"
        )
        target.entered_as = TargetEntry.DIVIDE if kind == "divide" else TargetEntry.PERCENT
        target.relative_change = amount
    else:
        target.target_value = Decimal(goal)
    target.full_clean()
    target._history_user = by
    target.save()
    return target


def _sign_and_run(contract, validator, *, since: datetime) -> None:
    """Sign and activate the contract, its history dated from its drafting (a month
    before signing); completion comes after its reports (``_complete``)."""
    services.sign_contract(contract, validator, signed_on=contract.start_date)
    services.activate_contract(contract, validator, activated_on=contract.start_date)
    steps = {
        "draft": _past(contract.start_date - timedelta(days=30)),
        "signed": _past(contract.start_date),
        "active": _past(contract.start_date),
        "completed": _past(contract.end_date),
    }
    _backdate(Contract, [contract.pk], since, steps)
    targets = list(contract.targets.values_list("pk", flat=True))
    Target.history.model.objects.filter(id__in=targets, history_date__gte=since).update(
        history_date=steps["draft"]
    )


def _draft(contract: Contract, spec, author) -> None:
    """Save the new ``contract`` with the themes, signatories (ADEME, the Region and the
    collectivity) and actions of its ``spec``."""
    contract.full_clean()
    contract._history_user = author
    contract.save()
    contract.themes.set(ContractTheme.objects.filter(slug__in=spec.themes))
    for organisation, role in [*data.SIGNATORIES, (spec.collectivity, "")]:
        Signatory.objects.create(contract=contract, organisation=organisation, role=role)
    for theme, title, budget in spec.actions:
        Action.objects.create(
            contract=contract,
            theme=ContractTheme.objects.get(slug=theme),
            title=title,
            budget=budget,
        )


def _create_contract(spec, users) -> Contract:
    started = timezone.now()
    territory = Territory.objects.get(kind=spec.kind, code=spec.code)
    contract = Contract(
        territory=territory,
        reference=spec.reference,
        title=spec.title,
        summary=spec.summary,
        start_date=data.SIGNED_ON,
        end_date=data.END,
        is_demo=True,
    )
    _draft(contract, spec, users["agent.region"])

    validator = users["agent.region"]
    core = data.core_series(territory.population, spec.profile)
    first, last = data.YEARS[0], data.YEARS[-1]
    _target(contract, "cae_2.a", first, core["cae_2.a"][0], last, "-8 %", validator)
    _target(contract, "cae_1.a", first, core["cae_1.a"][0], last, "-10 %", validator)
    _target(contract, "cae_3.a", first, core["cae_3.a"][0], last, "+50 %", validator)
    share = core["cae_3.a"][0] / 1000 / core["cae_2.a"][0] * 100
    goal = str(data.quantize(share * Decimal("1.5")))
    _target(contract, "cae_3.b", first, data.quantize(share), last, goal, validator)
    for identifier, (goal, series) in spec.theme_series.items():
        _target(contract, identifier, first, series[0], last, goal, validator)

    _sign_and_run(contract, validator, since=started)
    officer = _officer_for(territory, users)
    for index, year in enumerate(data.YEARS):
        values = {identifier: core[identifier][index] for identifier in core}
        values.update({i: Decimal(s[index]) for i, (_, s) in spec.theme_series.items()})
        _publish(contract, year, values, officer, validator)
    _complete(contract, validator)
    return contract


def _complete(contract, validator) -> None:
    """Complete the contract with its final evaluation, on the values of its years,
    dated its end date."""
    started = timezone.now()
    completed_at = _past(contract.end_date)
    complete_demo_contract(contract, validator, completed_at)
    _backdate(Contract, [contract.pk], started, {"completed": completed_at})


def _create_later_contract(spec: data.LaterContract, users, today: date) -> Contract:
    """A contract signed in the year before last, active on ``today``: its baseline year
    and the next validated, the year before last and last year as ``spec`` says."""
    started = timezone.now()
    last = today.year - 1
    start = date(last - 1, *spec.signed)
    territory = Territory.objects.get(kind=spec.kind, code=spec.code)
    contract = Contract(
        territory=territory,
        reference=data.later_references(today)[spec.key],
        title=spec.title,
        summary=f"{spec.summary} Fait suite au contrat {spec.renews}."
        if spec.renews
        else spec.summary,
        start_date=start,
        end_date=min(three_year_end_dates(start)),
        is_demo=True,
    )
    _draft(contract, spec, users["agent.region"])

    validator = users["agent.region"]
    baseline_year, target_year = last - 3, contract.end_date.year
    baselines = data.later_baselines(spec, territory.population)
    goals = dict(zip(data.CORE_GOALS, spec.goals, strict=True))
    targets = {
        identifier: _target(
            contract, identifier, baseline_year, baseline, target_year, goals[identifier], validator
        ).target_value
        for identifier, baseline in baselines.items()
    }
    share = baselines["cae_3.a"] / 1000 / baselines["cae_2.a"] * 100
    goal = targets["cae_3.a"] / 1000 / targets["cae_2.a"] * 100
    _target(
        contract,
        "cae_3.b",
        baseline_year,
        data.quantize(share),
        target_year,
        str(data.quantize(goal)),
        validator,
    )
    for identifier, (baseline, goal) in spec.theme_targets.items():
        baselines[identifier] = Decimal(baseline)
        targets[identifier] = _target(
            contract, identifier, baseline_year, baseline, target_year, goal, validator
        ).target_value
    _sign_and_run(contract, validator, since=started)

    officer = _officer_for(territory, users)

    def values(year):
        return data.later_values(spec, baselines, targets, baseline_year, target_year, year)

    # The baseline years, reported once the contract was signed.
    for offset, year in enumerate((baseline_year, baseline_year + 1)):
        opened = start + timedelta(days=40 + 20 * offset)
        _publish(contract, year, values(year), officer, validator, opened=opened)
    previous = last - 1
    if spec.previous_year == data.ReportState.VALIDATED:
        _publish(contract, previous, values(previous), officer, validator)
    elif spec.previous_year == data.ReportState.DRAFT:  # started, never sent: overdue
        partial = dict(list(values(previous).items())[:1])
        _report(contract, previous, partial, officer, validator, {"draft": date(last, 4, 8)})
    elif spec.previous_year == data.ReportState.SUBMITTED:  # sent after its deadline
        steps = {"draft": today - timedelta(days=20), "submitted": today - timedelta(days=6)}
        _report(contract, previous, values(previous), officer, validator, steps)
    if spec.last_year == data.ReportState.DRAFT:
        partial = dict(list(values(last).items())[:2])
        _report(contract, last, partial, officer, validator, {"draft": today - timedelta(days=3)})
    elif spec.last_year == data.ReportState.REJECTED:
        steps = {
            "draft": today - timedelta(days=30),
            "submitted": today - timedelta(days=25),
            "rejected": today - timedelta(days=12),
        }
        _report(contract, last, values(last), officer, validator, steps)
    return contract


def _create_regional_goals(users) -> list[RegionalGoal]:
    """The region's own 2050 goals (not a contract) and its yearly values, published
    as validated by the Region in June of the following year."""
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    validator = users["agent.region"]
    baseline_year = settings.TRI_REFERENCE_YEAR
    energy, ghg, renewable = data.REGION_VALUES[baseline_year]
    baselines = {
        "cae_2.a": Decimal(energy),
        "cae_1.a": Decimal(ghg),
        "cae_3.b": data.quantize(Decimal(renewable) / 1000 / Decimal(energy) * 100),
    }
    goals = []
    for identifier, text in data.REGION_GOALS:
        goal = RegionalGoal(
            territory=region,
            indicator=Indicator.objects.get(identifier=identifier),
            baseline_year=baseline_year,
            baseline_value=baselines[identifier],
            target_year=2050,
            adopted_by=data.REGION_GOALS_ADOPTED_BY,
            is_demo=True,
        )
        if text.endswith("%") or text.startswith(("÷", "/")):
            kind, amount = parse_relative_change(text)
            goal.target_value = data.quantize(
                target_from_relative(goal.baseline_value, kind, amount), "0.001"
            )
            goal.entered_as = TargetEntry.DIVIDE if kind == "divide" else TargetEntry.PERCENT
            goal.relative_change = amount
        else:
            goal.target_value = Decimal(text)
        goal.full_clean()
        goal._history_user = validator
        goal._history_date = _past(date(2020, 8, 4))  # the SRADDET approved by the prefect
        goal.save()
        goals.append(goal)
    indicators = Indicator.objects.in_bulk(
        ["cae_2.a", "cae_1.a", "cae_3.a"], field_name="identifier"
    )
    for year, (energy, ghg, renewable) in data.REGION_VALUES.items():
        figures = {"cae_2.a": energy, "cae_1.a": ghg, "cae_3.a": renewable}
        publish_validated_values(
            region,
            [PublishedValue(indicators[i], year, Decimal(v)) for i, v in figures.items()],
            source=data.REGION_SOURCE,
            by=validator,
            validated_at=_past(date(year + 1, 6, 20)),
            is_demo=True,
        )
    return goals


@transaction.atomic
def load_demo_contracts(today: date | None = None) -> list[Contract]:
    """The six contracts of 24 October 2017, the region's own 2050 goals and
    yearly values, the later contracts, the observatory's figures of the other EPCIs,
    active on ``today`` (the day of loading by default), with their reports due, sent,
    late or rejected on that day (idempotent: an existing contract is left as it is; a
    territory that already has a later demo contract gets no other)."""
    today = today or timezone.localdate()
    sync_catalogue(Indicator)
    sync_themes(ContractTheme)
    users = ensure_demo_users()
    created = []
    if not RegionalGoal.objects.filter(
        territory__kind=TerritoryKind.REGION, territory__code="32", is_demo=True
    ).exists():
        _create_regional_goals(users)
    for spec in data.DEMO_CONTRACTS:
        if not Contract.objects.filter(reference=spec.reference).exists():
            created.append(_create_contract(spec, users))
    for spec in data.LATER_CONTRACTS:
        later = Contract.objects.filter(
            territory__kind=spec.kind, territory__code=spec.code, start_date__gt=data.END
        )
        if not later.exists():
            created.append(_create_later_contract(spec, users, today))
    load_demo_life(users["agent.region"], today)
    IndicatorValue.objects.filter(report__contract__is_demo=True, is_demo=False).update(
        is_demo=True
    )
    # What the validated reports tell: action updates, comments, one evidence file.
    load_demo_story()
    # The other EPCIs' figures, from the observatory: peers to compare the contracts with.
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    load_observatory_values(region, users["agent.region"], today, _past)
    return created
