"""CallHandler: validation, one unit of work, boot-storm control and the CALLERROR mapping,
on a real (SQLite) database without a socket."""

import json
import random
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from bootstrap import create_app
from domain.boot_storm import MIN_RETRY_SECONDS, BootStormGuard
from domain.events import BackgroundWorkRecorded, CallConfSent, EventBus
from domain.models import OcppMessage
from domain.services.chargers import create_charger
from tests.conftest import make_settings
from web.ocpp import ocpp_node
from web.ocpp.framing import IncomingCall
from web.ocpp.handlers import CallHandler

BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}
START = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2025-01-01T00:00:00Z"}


@pytest.fixture
def handler(db, settings):
    with db.unit_of_work() as session:
        create_charger(session, "cp1", connector_ids=(1,))
    events = EventBus()
    handler = CallHandler(db, settings, BootStormGuard(1, random.Random(5)), events)
    handler.work = []
    events.subscribe(BackgroundWorkRecorded, handler.work.append)
    return handler


def answer(handler, unique_id, action, payload):
    """The reply frame, and the background work its committed unit of work published."""
    handler.work.clear()
    connection = SimpleNamespace(charger_name="cp1", snapshot=None, other_conf_sent=False)
    reply = handler.answer(connection, IncomingCall(unique_id, action, payload))
    return json.loads(reply.frame), list(handler.work)


def test_boots_beyond_the_rate_are_answered_pending(handler):
    first, _ = answer(handler, "b1", "BootNotification", BOOT)
    second, _ = answer(handler, "b2", "BootNotification", BOOT)
    assert first[2]["status"] == "Accepted" and first[2]["interval"] == 300
    assert second[2]["status"] == "Pending" and second[2]["interval"] >= MIN_RETRY_SECONDS


def test_a_schema_violation_is_answered_and_both_frames_logged(db, handler):
    reply, work = answer(handler, "v1", "StartTransaction", {**START, "connectorId": "1"})
    assert reply[:3] == [4, "v1", "TypeConstraintViolation"]
    assert reply[4]["violations"][0]["path"] == "connectorId"
    assert work == []
    with db.unit_of_work() as session:
        frames = session.execute(
            select(OcppMessage.direction, OcppMessage.message_type, OcppMessage.action)
        ).all()
    assert frames == [("in", 2, "StartTransaction"), ("out", 4, "StartTransaction")]


def test_a_database_failure_is_an_internal_error_with_the_frames_logged(db, handler):
    with db.unit_of_work() as session:
        session.execute(text("DROP TABLE meter_values"))
    stop = {"transactionId": 1, "meterStop": 5, "timestamp": "2025-01-01T01:00:00Z",
            "transactionData": [{"timestamp": "2025-01-01T01:00:00Z",
                                 "sampledValue": [{"value": "5"}]}]}  # fmt: skip
    reply, work = answer(handler, "s1", "StopTransaction", stop)
    assert reply[:3] == [4, "s1", "InternalError"] and work == []
    with db.unit_of_work() as session:
        assert session.scalar(select(OcppMessage.message_type).where(
            OcppMessage.direction == "out")) == 4  # fmt: skip


def test_outbox_work_is_dispatched_only_after_a_stop_that_closed_a_session(handler):
    started, after_start = answer(handler, "a1", "StartTransaction", START)
    assert after_start == []
    stop = {"transactionId": started[2]["transactionId"], "meterStop": 9,
            "timestamp": "2025-01-01T01:00:00Z"}  # fmt: skip
    _, after_stop = answer(handler, "a2", "StopTransaction", stop)
    _, after_retry = answer(handler, "a3", "StopTransaction", stop)
    assert after_stop == [BackgroundWorkRecorded("finalize_session")]
    assert after_retry == []


def test_the_socket_options_come_from_settings(tmp_path):
    app = create_app(make_settings(tmp_path, ocpp_ping_interval=7, ocpp_max_message_bytes=2048))
    # The node pings every socket from one loop (test_socket_pings.py), not simple-websocket.
    assert app.config["SOCK_SERVER_OPTIONS"] == {
        "subprotocols": ["ocpp1.6"], "ping_interval": None, "max_message_size": 2048
    }  # fmt: skip
    assert ocpp_node(app).ping_interval == 7
    no_ping = create_app(make_settings(tmp_path, ocpp_ping_interval=0))
    assert not ocpp_node(no_ping).ping_interval


def test_conf_sent_is_announced_for_every_boot_and_the_first_other_answer_of_a_socket(handler):
    announced = []
    handler.events.subscribe(CallConfSent, announced.append)
    socket = SimpleNamespace(charger_name="cp1", snapshot=None, other_conf_sent=False)
    calls = [
        ("Heartbeat", {}),
        ("BootNotification", BOOT),
        ("Heartbeat", {}),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
        ("BootNotification", BOOT),
    ]
    for number, (action, payload) in enumerate(calls):
        reply = handler.answer(socket, IncomingCall(str(number), action, payload))
        assert json.loads(reply.frame)[0] == 3
        if reply.after_send is not None:
            reply.after_send()
    assert [event.action for event in announced] == [
        "Heartbeat",
        "BootNotification",
        "BootNotification",
    ]
    assert announced[1].conf["status"] in {"Accepted", "Pending"}
