"""Schema-based fuzzing of the REST API with schemathesis: every operation of the live
OpenAPI schema, called in-process through the WSGI application (same test database and
transaction as pytest-django), must never answer 5xx and must answer exactly what the
schema documents (status code, content type, headers, body), and refuse input that
violates the schema.

The demo data (six contracts, validated values, aggregates) is loaded once for the
module, so that generated ids and filters hit real rows. Report operations are called
with the personal token of the Fourmies officer, who has an active contract with an open
draft report; public reads are made anonymously or with that token.

``FUZZ_EXAMPLES`` sets the number of generated examples per operation: moderate by
default (CI), large with ``make fuzz``. Generation is derandomized: the same examples on
every run, so a failure is reproducible."""

import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contracts import services
from contracts.models import Contract, ContractTheme, ProgressReport, Target
from indicators.aggregation import recompute_all
from indicators.models import Aggregate, Indicator, IndicatorValue, ValueStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, indicator, signable
from tri_portal.models import ApiToken

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
API = "/api/v1"

schema = schemathesis.openapi.from_wsgi(f"{API}/schema/", get_wsgi_application())

LISTS = [
    "territories",
    "indicators",
    "contracts",
    "targets",
    "amendments",
    "values",
    "aggregates",
    "regional-goals",
    "effort-shares",
    "reports",
    "peer-statistics",
]
EXPECTED_OPERATIONS = {
    *(f"GET {API}/{name}/" for name in LISTS),
    *(f"GET {API}/{name}/{{{'identifier' if name == 'indicators' else 'id'}}}/" for name in LISTS),
    f"POST {API}/reports/",
    f"PUT {API}/reports/{{id}}/values/",
    f"POST {API}/reports/{{id}}/submit/",
    f"POST {API}/reports/{{id}}/validate/",
    f"POST {API}/reports/{{id}}/reject/",
    f"POST {API}/reports/{{id}}/withdraw/",
}


def documented_statuses(label: str) -> set[str]:
    method, path = label.split(" ", 1)
    return set(schema[path][method].definition.raw["responses"])


# --- Real data for the generated requests -------------------------------------------
# Values that exist in the demo data, filled by the `demo` fixture, put in the parts of
# a case generated valid (an invalid part stays as generated, so that the API still has
# to refuse it):
# * fields whose valid values depend on the data, which no schema can list (an existing
#   département, indicator or theme, a page that exists; a contract the officer reports
#   on, a year of that contract, distinct writable indicators with plausible values):
#   always, in the generated cases and in the boundary cases of the coverage phase
#   (built before any data exists); the schema describes everything else, and the API
#   must accept whatever it allows (`positive_data_acceptance`);
# * ids and the other filters: three times out of four, so that requests hit real rows.
POOLS: dict[str, list] = {}
TOKEN: dict[str, str] = {}
DATA_DEPENDENT_QUERY = {"departement", "indicator", "theme", "page"}


@dataclass
class Choices:
    pick: Callable[[list], Any]  # one element of a pool
    shuffled: Callable[[list], list]  # the pool in some order
    often: Callable[[], bool]  # three times out of four


def _query_schema(case, name) -> dict:
    for parameter in case.operation.definition.raw.get("parameters", []):
        if parameter["name"] == name and parameter["in"] == "query":
            return parameter["schema"]
    return {}


def with_real_data(case, valid: set[ParameterLocation], choose: Choices):
    if ParameterLocation.PATH in valid and case.path_parameters:
        pool = POOLS.get(f"path:{case.path.split('/')[3]}")  # /api/v1/<collection>/…
        case.path_parameters = {
            name: choose.pick(pool) if pool and choose.often() else value
            for name, value in case.path_parameters.items()
        }
    if ParameterLocation.QUERY in valid and case.query:
        query = dict(case.query)
        for name in query:
            pool = POOLS.get(f"query:{name}")
            if not pool or "enum" in _query_schema(case, name):
                continue
            if name in DATA_DEPENDENT_QUERY or choose.often():
                query[name] = choose.pick(pool)
        case.query = query
    if ParameterLocation.BODY in valid and isinstance(case.body, dict):
        body = dict(case.body)
        if {"contract", "year"} & set(body):
            opening = dict(
                zip(("contract", "year"), choose.pick(POOLS["body:opening"]), strict=True)
            )
            body.update({name: value for name, value in opening.items() if name in body})
        if isinstance(body.get("values"), list):
            entries = [entry for entry in body["values"] if isinstance(entry, dict)]
            indicators = choose.shuffled(POOLS["body:indicator"])  # one entry each
            body["values"] = [
                {**entry, "indicator": identifier, "value": choose.pick(POOLS["body:value"])}
                for entry, identifier in zip(entries, indicators, strict=False)
            ]
        case.body = body
    return case


@st.composite
def _with_real_data(draw, case, valid: set[ParameterLocation]):
    choose = Choices(
        pick=lambda pool: draw(st.sampled_from(pool)),
        shuffled=lambda pool: draw(st.permutations(pool)),
        often=lambda: draw(st.integers(0, 3)) > 0,
    )
    case = with_real_data(case, valid, choose)
    if not case.path.startswith(f"{API}/reports/") and draw(st.booleans()):
        # Public reads as the officer too: they also see their own territory's drafts.
        case.headers = {**(case.headers or {}), "Authorization": f"Token {TOKEN['key']}"}
    return case


def positive_locations(case) -> set[ParameterLocation]:
    return {
        location
        for location, component in case.meta.components.items()
        if component.mode == GenerationMode.POSITIVE
    }


def with_real_data_for_coverage(case):
    """A boundary case of the coverage phase, its data-dependent fields from the data
    (drawn with a generator seeded by the case: the same on every run)."""
    if not POOLS or case.meta is None or case.meta.phase.name != TestPhase.COVERAGE:
        return case
    rng = random.Random(repr((case.operation.label, case.path_parameters, case.query, case.body)))
    choose = Choices(
        pick=rng.choice, shuffled=lambda pool: rng.sample(pool, len(pool)), often=lambda: False
    )
    return with_real_data(case, positive_locations(case), choose)


@schema.hook
def flatmap_case(context, case):
    if not POOLS or case.meta is None:
        return st.just(case)
    return _with_real_data(case, positive_locations(case))


def _fill_pools(officer, officer_contract, officer_report):
    with_contracts = Contract.objects.values_list("territory_id", flat=True)
    territories = list(Territory.objects.filter(pk__in=with_contracts).order_by("pk")) + list(
        Territory.objects.exclude(kind=TerritoryKind.COMMUNE).order_by("pk")[:20]
    )
    territory_ids = [t.pk for t in territories]
    codes = sorted({t.code for t in territories if t.code})
    sirens = sorted({t.siren for t in territories if t.siren})
    identifiers = list(
        Indicator.objects.order_by("identifier").values_list("identifier", flat=True)
    )
    contract_ids = list(Contract.objects.order_by("pk").values_list("pk", flat=True))
    own_reports = ProgressReport.objects.filter(contract__territory=officer_contract.territory)
    other_report = ProgressReport.objects.exclude(contract__territory=officer_contract.territory)
    years = list(range(2012, 2024))
    POOLS.update(
        {
            "path:territories": territory_ids,
            "path:indicators": identifiers,
            "path:contracts": contract_ids,
            "path:targets": list(Target.objects.order_by("pk").values_list("pk", flat=True)),
            "path:values": list(
                IndicatorValue.objects.filter(status=ValueStatus.VALIDATED)
                .order_by("pk")
                .values_list("pk", flat=True)[:50]
            ),
            "path:aggregates": list(
                Aggregate.objects.order_by("pk").values_list("pk", flat=True)[:50]
            ),
            "path:reports": [
                *[officer_report.pk] * 4,
                *own_reports.order_by("pk").values_list("pk", flat=True),
                other_report.order_by("pk").values_list("pk", flat=True).first(),  # → 404
            ],
            **{
                f"query:{name}": territory_ids
                for name in ["territory", "contract__territory", "parent"]
            },
            "query:scope": list(Aggregate.objects.values_list("scope_id", flat=True).distinct()),
            **{
                f"query:{name}": codes
                for name in ["code", "territory_code", "contract__territory_code", "scope_code"]
            },
            **{
                f"query:{name}": sirens
                for name in ["siren", "territory_siren", "contract__territory_siren", "scope_siren"]
            },
            "query:departement": ["02", "59", "60", "62", "80"],
            "query:indicator": [*identifiers, "cae_2.a,cae_1.a", "cae_3.a,cae_3.b"],
            **{
                f"query:{name}": years
                for name in ["year", "year_min", "year_max", "target_year", "signed_year"]
            },
            "query:contract": contract_ids,
            "query:theme": list(ContractTheme.objects.values_list("slug", flat=True)),
            "query:search": ["Fourmies", "59249", "Lens", "sambre", "COTRI-2017"],
            "query:page": [1],  # the first page always exists; the others depend on the rows
            "body:opening": [  # a contract the officer reports on, and one of its years
                (contract.pk, year)
                for contract in Contract.objects.reportable_by(officer).order_by("pk")
                for year in range(contract.first_year, contract.last_year + 1)
            ],
            "body:indicator": [
                i.identifier for i in Indicator.objects.order_by("pk") if not i.is_derived
            ],
            # Plausible in every unit (the bounds depend on the indicator); blank erases.
            "body:value": ["950.5", "0", "-0", "1234", "1 234,5", "12,5", "", None],
        }
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, an active Fourmies contract with an open draft report, and the
    Fourmies officer's token: loaded once for the module, rolled back after it."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        pytest.MonkeyPatch.context() as patch,
    ):
        # As `_no_dashboard_figures` (function-scoped): the API does not read them.
        patch.setattr(
            "contracts.services.contract_status.refresh_contract_stats", lambda territories=None: 0
        )
        call_command("load_demo", stdout=io.StringIO())
        recompute_all()  # aggregates are recomputed on commit, which never comes here
        users = get_user_model().objects
        officer, staff = users.get(username="referent.fourmies"), users.get(username="agent.region")
        contract = ContractFactory(  # the demo contract of Fourmies ended in 2020
            territory=Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249"),
            reference="COTRI-FUZZ-FOURMIES",
            start_date=date(2020, 11, 1),
            end_date=date(2023, 10, 31),
        )
        TargetFactory(contract=contract, baseline_year=2019, target_year=2023)
        services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
        services.activate_contract(contract, staff, activated_on=contract.signed_on)
        report = services.open_report(contract, 2021, by=officer)
        services.save_report_values(
            report, [services.ReportedValue(indicator("cae_2.a"), "950.5")], officer
        )
        _, TOKEN["key"] = ApiToken.issue(officer, "fuzz")
        _fill_pools(officer, contract, report)
        yield
        POOLS.clear()
        transaction.set_rollback(True)


@pytest.fixture
def fuzzing(demo, db, settings):
    """The demo data, and no throttling (thousands of requests a minute). Requests go
    through the real WSGI handler: like Django's test client, keep it from closing the
    database connection at the end of each request, which holds the test transaction
    (PostgreSQL; SQLite's in-memory database ignores the close)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"},
    }
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# --- The schema ------------------------------------------------------------------------


def test_schema_is_valid_openapi_3_with_every_operation():
    schema.validate()  # against the OpenAPI 3 meta-schema; raises if invalid
    assert schema.raw_schema["openapi"].startswith("3.")
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == EXPECTED_OPERATIONS


@pytest.mark.parametrize("label", sorted(EXPECTED_OPERATIONS))
def test_every_operation_documents_its_error_answers(label):
    method, path = label.split(" ", 1)
    responses = schema[path][method].definition.raw["responses"]
    assert {"400", "401", "429"} <= set(responses)
    for code in ["400", "401", "429"]:
        error = responses[code]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
    assert "Retry-After" in responses["429"]["headers"]
    if "{" in path:
        assert "404" in responses


def query_parameter(path: str, name: str) -> dict:
    [parameter] = [p for p in schema[path]["GET"].definition.raw["parameters"] if p["name"] == name]
    return parameter["schema"]


TEXT = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"  # not blank, no NUL


@pytest.mark.parametrize(
    ("path", "name", "declared"),
    [
        ("territories/", "page", {"type": "integer", "minimum": 1}),
        ("values/", "page_size", {"type": "integer", "minimum": 1, "maximum": 1000}),
        ("territories/", "parent", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}),
        ("contracts/", "signed_year", {"type": "integer", "minimum": 1990, "maximum": 2100}),
        ("aggregates/", "year_min", {"type": "integer", "minimum": 1990, "maximum": 2100}),
        ("territories/", "code", {"minLength": 1, "pattern": r"^(?:[0-9AB]{2,5}|\d{9})$"}),
        ("values/", "territory_siren", {"minLength": 1, "pattern": r"^\d{9}$"}),
        ("contracts/", "departement", {"minLength": 1, "pattern": r"^(?:[0-9]{2,3}|2[AB])$"}),
        ("contracts/", "search", {"minLength": 1, "maxLength": 100, "pattern": TEXT}),
        ("contracts/", "theme", {"minLength": 1, "pattern": TEXT}),
    ],
)
def test_the_schema_declares_the_constraints_the_api_enforces(path, name, declared):
    assert query_parameter(f"{API}/{path}", name).items() >= declared.items()


def test_the_schema_declares_the_bodies_as_the_api_reads_them():
    bodies = {
        label: schema[path][method].definition.raw["requestBody"]["content"]
        for label in EXPECTED_OPERATIONS
        for method, path in [label.split(" ", 1)]
        if "requestBody" in schema[path][method].definition.raw
    }
    components = schema.raw_schema["components"]["schemas"]
    values = components["ValuesInputRequest"]["properties"]["values"]
    entry = components["ValueEntryRequest"]["properties"]

    assert {label: list(content) for label, content in bodies.items()} == {
        f"POST {API}/reports/": ["application/json"],
        f"PUT {API}/reports/{{id}}/values/": ["application/json"],
        f"POST {API}/reports/{{id}}/reject/": ["application/json"],
    }
    assert (values["minItems"], values["maxItems"]) == (1, 200)
    assert entry["indicator"]["pattern"] == TEXT
    assert entry["value"]["anyOf"] == [  # a number, as typed or in JSON
        {"type": "string", "pattern": r"^[\s\d_+\-.,eE]*$", "maxLength": 40},
        {"type": "number"},
    ]
    assert entry["comment"] == {
        "type": "string",
        "default": "",
        "pattern": r"^[^\u0000]*$",  # blank allowed
        "maxLength": 2000,
    }
    reason = components["RejectRequest"]["properties"]["reason"]
    assert (reason["minLength"], reason["pattern"]) == (1, TEXT)


# --- The fuzz --------------------------------------------------------------------------


@schema.parametrize()
@hypothesis.settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    # The examples of an operation share its test transaction on purpose (one demo load
    # for the module); full-table exports are slow on purpose too.
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
    ],
)
def test_operation_answers_what_the_schema_documents(case, fuzzing):
    headers = {}
    if case.path.startswith(f"{API}/reports/"):
        headers["Authorization"] = f"Token {TOKEN['key']}"
    # Every built-in check (no 5xx; documented status code, content type, headers and
    # body; schema-violating input refused; 405 for undocumented methods; auth not
    # ignored…) except `positive_data_acceptance`: a schema-valid request is rightly
    # refused by rules that depend on the data, which a schema cannot express (unknown
    # département code or indicator identifier, a year outside the contract, a contract
    # of another territory, an empty report submitted).
    case = with_real_data_for_coverage(case)
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])


# --- Bugs the fuzz found (fixed): one regression test each ------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"{API}/territories/1.5e-3/"),
        ("get", f"{API}/indicators/%C3%A9/"),
        ("post", f"{API}/reports/1.5/submit/"),
        ("get", f"{API}/contracts/0.5/"),
    ],
)
def test_malformed_id_answers_a_json_404(db, anonymous_api, method, path):
    response = getattr(anonymous_api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.parametrize("page", ["0", "abc", "9999"])
def test_invalid_page_answers_a_documented_error(db, anonymous_api, page):
    response = anonymous_api.get(f"{API}/indicators/", {"page": page})
    assert str(response.status_code) in documented_statuses(f"GET {API}/indicators/")
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("territories", "code", "%"),
        ("territories", "departement", "59%"),
        ("values", "indicator", "cae_2.a%"),
        ("aggregates", "scope_code", "%d"),
    ],
)
def test_percent_sign_in_a_filter_value_is_refused(db, anonymous_api, path, parameter, value):
    response = anonymous_api.get(f"{API}/{path}/", {parameter: value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]


@pytest.mark.parametrize(
    "query",
    [{"page_size": "abc"}, {"kind": ""}, {"parent": ""}],
    ids=["page_size=abc", "kind=", "parent="],
)
def test_invalid_or_empty_parameter_is_refused(db, anonymous_api, query):
    response = anonymous_api.get(f"{API}/territories/", query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(query)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page_size", "²"),  # str.isdigit() but not int(): was a 500
        ("page_size", "１０"),  # full-width digits
        ("page", "last"),  # DRF's alias of the last page: not an integer
        ("page", "٢"),
        ("page", " 1"),
        ("parent", "12.0"),  # Django's IntegerField reads these as 12
        ("parent", "1_2"),
        ("parent", "１２"),
        ("parent", " 12"),
        ("code", " "),  # blank
    ],
)
def test_a_number_not_written_as_the_schema_says_is_refused(db, anonymous_api, name, value):
    response = anonymous_api.get(f"{API}/territories/", {name: value})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]


@pytest.mark.parametrize("value", ["cae_2.a,,cae_1.a", "cae_2.a,", ",cae_2.a"])
def test_an_empty_identifier_in_an_indicator_list_is_refused(db, anonymous_api, value):
    response = anonymous_api.get(f"{API}/values/", {"indicator": value})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "indicator": ["Identifiant vide : séparez les identifiants par une virgule."]
    }


@pytest.mark.parametrize(
    "query",
    [
        {"format": "csv", "page": "-598"},
        {"format": "csv", "page": "0"},
        {"format": "xlsx", "page_size": "0"},
        {"format": "csv", "sep": ";", "page_size": "abc"},
    ],
    ids=["csv-page=-598", "csv-page=0", "xlsx-page_size=0", "csv-page_size=abc"],
)
def test_an_export_refuses_a_malformed_page_it_does_not_use(db, anonymous_api, query):
    response = anonymous_api.get(f"{API}/aggregates/", query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name for name in query if name.startswith("page")]
