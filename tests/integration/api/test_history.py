"""Transactions (a bare array), meter values, status logs and the message log: filters,
pages and UTC times with Z."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from domain.services.charger_calls import CallContext, answer_charger_call
from domain.services.chargers import get_charger
from tasks.dispatch import dispatch_pending
from tests.integration.api.conftest import assert_error
from web.extensions import database, settings

T0 = datetime(2025, 3, 22, 12, tzinfo=UTC)


def charger_says(app, charger: str, action: str, payload: dict, at: datetime = T0) -> dict:
    """Run `action` through the domain, as that charger's socket would."""
    with database(app).unit_of_work() as session:
        context = CallContext(now=at, heartbeat_interval=300)
        return answer_charger_call(session, get_charger(session, charger), action, payload, context)


def start(app, charger, connector, id_tag, hour) -> int:
    payload = {
        "connectorId": connector,
        "idTag": id_tag,
        "meterStart": 100,
        "timestamp": T0.replace(hour=hour).isoformat(),
    }
    return charger_says(app, charger, "StartTransaction", payload)["transactionId"]


@pytest.fixture
def history(seeded):
    """Three sessions: charger_1/1 TAG-A at 08 (stopped at 09 with samples), charger_1/2
    TAG-B at 10, charger_2/1 tag-a at 11; plus a status change on charger_2."""
    first = start(seeded, "charger_1", 1, "TAG-A", 8)
    sample = {
        "timestamp": T0.replace(hour=8, minute=30).isoformat(),
        "sampledValue": [
            {"value": "150", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
        ],
    }
    charger_says(
        seeded,
        "charger_1",
        "MeterValues",
        {"connectorId": 1, "transactionId": first, "meterValue": [sample]},
    )
    stop = {"transactionId": first, "meterStop": 1100, "timestamp": T0.replace(hour=9).isoformat()}
    charger_says(seeded, "charger_1", "StopTransaction", stop)
    dispatch_pending(database(seeded), settings(seeded))  # session finalisation, as after a stop
    second = start(seeded, "charger_1", 2, "TAG-B", 10)
    third = start(seeded, "charger_2", 1, "tag-a", 11)
    status = {"connectorId": 1, "status": "Faulted", "errorCode": "GroundFailure"}
    charger_says(seeded, "charger_2", "StatusNotification", status)
    return first, second, third


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [row["id"] for row in response.get_json()]


def test_transactions_is_a_bare_array_newest_first(api, auth, history):
    first, second, third = history
    response = api.get("/api/transactions/", headers=auth("viewer"))
    assert isinstance(response.get_json(), list)
    assert ids(response) == [third, second, first]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    done = response.get_json()[2]
    assert (done["charger"], done["connector"], done["connector_tag"]) == (
        "charger_1",
        1,
        "connector_1",
    )
    assert (done["start_time"], done["end_time"]) == (
        "2025-03-22T08:00:00.000Z",
        "2025-03-22T09:00:00.000Z",
    )
    assert (done["meter_stop"], done["energy_consumed_kWh"], done["status"]) == (
        1100,
        1.0,
        "Completed",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("charger=charger_1", [1, 0]),
        ("connector=1", [2, 0]),
        ("charger=charger_1&connector=2", [1]),
        ("status=Active", [2, 1]),
        ("status=Completed", [0]),
        ("id_tag=TAG-A", [2, 0]),
        ("since=2025-03-22T10:00:00Z", [2, 1]),
        ("until=2025-03-22T10:00:00Z", [0]),
        ("since=2025-03-22T11:00:00%2B01:00&until=2025-03-22T10:30:00Z", [1]),
        ("charger=charger_3", []),
        ("page_size=1&page=2", [1]),
    ],
)
def test_transaction_filters(api, auth, history, query, expected):
    response = api.get(f"/api/transactions/?{query}", headers=auth("viewer"))
    assert ids(response) == [history[i] for i in expected]


def test_bad_transaction_filters_are_422(api, auth):
    for query in ("status=Running", "since=yesterday", "connector=-1", "page_size=1001"):
        assert_error(api.get(f"/api/transactions/?{query}", headers=auth("viewer")), 422)


def test_transaction_detail_and_its_meter_values(api, auth, history):
    first = history[0]
    viewer = auth("viewer")
    assert api.get(f"/api/transactions/{first}/", headers=viewer).get_json()["id_tag"] == "TAG-A"
    values = api.get(f"/api/transactions/{first}/meter-values/", headers=viewer).get_json()
    assert [(v["measurand"], v["value"], v["unit"]) for v in values] == [
        ("Energy.Active.Import.Register", "150", "Wh"),
        ("Power.Active.Import", "7.2", "kW"),
    ]
    assert values[0]["timestamp"] == "2025-03-22T08:30:00.000Z"
    path = f"/api/transactions/{first}/meter-values/?measurand=Power.Active.Import"
    assert len(api.get(path, headers=viewer).get_json()) == 1
    assert_error(api.get("/api/transactions/999/", headers=viewer), 404)
    assert_error(api.get("/api/transactions/999/meter-values/", headers=viewer), 404)
    assert api.get("/api/transactions/99999999999999999999/", headers=viewer).status_code == 404


def test_status_logs_filter_by_charger_and_connector(api, auth, history):
    viewer = auth("viewer")
    logs = api.get("/api/status-logs/?charger=charger_2", headers=viewer).get_json()
    faulted = [log for log in logs if log["connector_id"] == 1]
    assert faulted and faulted[0]["charger"] == "charger_2"
    assert faulted[0]["timestamp"].endswith("Z")
    assert api.get("/api/status-logs/?connector=1&charger=charger_3", headers=viewer).json == []
    assert api.get("/api/connectors/?status=FAULTY", headers=viewer).json[0]["ocpp_status"] == (
        "Faulted"
    )


def test_message_log_of_an_unknown_charger_is_404(api, auth):
    assert_error(api.get("/api/chargers/charger_404/messages/", headers=auth("viewer")), 404)
    assert_error(
        api.get("/api/chargers/charger_1/messages/?direction=up", headers=auth("viewer")), 422
    )
