"""``/api/v1/effort-shares/``: the contracts' share of the regional effort, read from
the materialised rows — the same figures as the regional dashboard's sentences."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import COVERING_STATUSES, Target

API = "/api/v1/effort-shares/"


def test_the_region_final_energy_share_equals_a_hand_computation(anonymous_api, demo):
    response = anonymous_api.get(
        API, {"scope": "32", "indicator": "cae_2.a", "horizon": "contracts_end"}
    )

    assert response.status_code == 200
    [row] = response.json()["results"]
    # The active contracts' targets on final energy but Fourmies' (inside the SCoT
    # Sambre-Avesnois): each ends with its contract, so its whole change counts.
    targets = Target.objects.filter(
        contract__status__in=COVERING_STATUSES, indicator__identifier="cae_2.a"
    ).exclude(contract__territory__code="59249")
    committed = sum(t.target_value - t.baseline_value for t in targets)
    start = min(t.baseline_year for t in targets)
    # The regional path: 213 000 → 85 200 GWh from 2012 to 2050.
    required = Decimal(-127800) * (row["horizon_year"] - start) / 38
    assert row["scope_code"] == "32"
    assert row["start_year"] == start
    assert Decimal(row["committed_change"]) == committed
    assert Decimal(row["required_change"]) == required.quantize(Decimal("0.000001"))
    assert Decimal(row["share"]) == (committed / required).quantize(Decimal("0.0001"))
    assert (row["targets_counted"], row["targets_skipped"], row["conflicts"]) == (5, 1, [])
    assert row["is_demo"] is True


def test_the_filters_select_scope_indicator_and_horizon(anonymous_api, demo):
    every = anonymous_api.get(API, {"page_size": 100}).json()["results"]
    nord = anonymous_api.get(API, {"scope": "59", "horizon": "fixed_year"}).json()["results"]

    assert {row["indicator"] for row in every} == {"cae_2.a", "cae_1.a", "cae_3.a"}
    assert {(row["scope_code"], row["horizon_kind"]) for row in nord} == {("59", "fixed_year")}
    assert {row["horizon_year"] for row in nord} == {2030}
    assert all(row["required_change"] is None for row in nord)  # no complete aggregate


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"horizon": "2031"}, "horizon", "choix valide"),
        ({"indicator": "cae_9.z"}, "indicator", "Indicateur inconnu"),
        ({"scope": "Nord"}, "scope", "code officiel"),
        ({"scope_kind": "commune"}, "scope_kind", "choix valide"),
        ({"horizon_year": "2030"}, "horizon_year", "Paramètre inconnu"),
    ],
)
def test_a_bad_filter_is_a_400_in_french(anonymous_api, db, params, field, message):
    response = anonymous_api.get(API, params)

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])


def test_the_csv_export_has_the_table_schema_columns(anonymous_api, demo):
    from contracts.api_effort import EFFORT_SHARES

    response = anonymous_api.get(API, {"format": "csv", "scope": "32"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response.status_code == 200
    assert body.splitlines()[0] == ",".join(EFFORT_SHARES.header)
    assert len(body.splitlines()) == 1 + 6  # 3 indicators × 2 horizons


def test_the_list_costs_the_same_queries_for_1_and_every_row(anonymous_api, demo):
    anonymous_api.get(API, {"page_size": 1})
    with CaptureQueriesContext(connection) as one:
        anonymous_api.get(API, {"page_size": 1})
    anonymous_api.get(API, {"page_size": 100})
    with CaptureQueriesContext(connection) as every:
        anonymous_api.get(API, {"page_size": 100})

    assert len(one) == len(every) <= 2
