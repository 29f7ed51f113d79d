"""The embedded default (SQLite, no REDIS_URL): the in-process relay behind the same interface,
on a real gunicorn server with a live charger: answers, async mode, idempotency, the queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.db import Database
from domain.models import OcppMessage, Role
from domain.services.users import ensure_user
from tests.charger import LiveCharger
from tests.integration.relay.conftest import NODE_ENV, OPERATOR, Api
from tests.live_server import LiveServer
from tests.ocpp_client import eventually, register_charger

pytestmark = pytest.mark.slow

RESET = {"type": "Soft"}


@pytest.fixture(scope="module")
def server():
    with LiveServer(NODE_ENV) as live:
        yield live


@pytest.fixture(scope="module")
def db(server):
    database = Database(f"sqlite:///{server.instance_path / 'voltline.db'}")
    with database.unit_of_work() as session:
        ensure_user(session, *OPERATOR, role=Role.OPERATOR)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def api(server, db) -> Api:
    return Api(server, OPERATOR)


def final_status(api: Api, command_id: str) -> str | None:
    status = api.get(f"/api/commands/{command_id}").json()["status"]
    return status if status not in ("Pending", "Queued", "Sent") else None


def test_in_process_relay_delivers_and_records_the_answer(server, api, db):
    name = register_charger(db, "embedded")
    with LiveCharger(server.ws_url(name), name) as charger:
        reply = api.command(name, "Reset", RESET)

        assert (reply.status_code, reply.json()["status"]) == (200, "Accepted")
        assert (reply.json()["id"], "Reset", RESET) in charger.received


def test_an_answered_command_logs_its_call_and_result_once_each(server, api, db):
    name = register_charger(db, "embedded-log")
    with LiveCharger(server.ws_url(name), name):
        command_id = api.command(name, "Reset", RESET).json()["id"]
    with db.unit_of_work() as session:
        frames = session.execute(
            select(OcppMessage.direction, OcppMessage.message_type, OcppMessage.payload)
            .where(OcppMessage.unique_id == command_id)
            .order_by(OcppMessage.id)
        ).all()
    assert [tuple(frame) for frame in frames] == [
        ("out", 2, RESET),
        ("in", 3, {"status": "Accepted"}),
    ]


def test_async_command_is_answered_202_and_finishes_later(server, api, db):
    name = register_charger(db, "embedded-async")
    with LiveCharger(server.ws_url(name), name):
        reply = api.command(name, "ClearCache", headers={"Prefer": "respond-async"})

        assert reply.status_code == 202
        assert reply.headers["Location"] == f"/api/commands/{reply.json()['id']}"
        assert eventually(lambda: final_status(api, reply.json()["id"])) == "Accepted"


def test_repeated_idempotency_key_sends_the_command_once(server, api, db):
    name = register_charger(db, "embedded-once")
    with LiveCharger(server.ws_url(name), name) as charger:
        key = {"Idempotency-Key": f"{name}-reset"}
        first = api.command(name, "Reset", RESET, headers=key).json()
        again = api.command(name, "Reset", RESET, headers=key).json()

        assert first["id"] == again["id"] and again["status"] == "Accepted"
        assert [action for _, action, _ in charger.received if action == "Reset"] == ["Reset"]


def test_queued_commands_go_out_in_order_when_the_charger_connects(server, api, db):
    name = register_charger(db, "embedded-queue")
    commands = (
        ("ChangeConfiguration", {"key": "A", "value": "1"}),
        ("Reset", RESET),
        ("ClearCache", {}),
    )
    queued = [api.command(name, action, payload, queue_ttl=120) for action, payload in commands]
    assert [reply.status_code for reply in queued] == [202, 202, 202]
    ids = [reply.json()["id"] for reply in queued]

    with LiveCharger(server.ws_url(name), name) as charger:
        assert [eventually(lambda i=i: final_status(api, i)) for i in ids] == ["Accepted"] * 3
        delivered = [unique_id for unique_id, _, _ in charger.received if unique_id in ids]
    assert delivered == ids


def test_queued_command_not_delivered_in_time_expires(api, db):
    name = register_charger(db, "embedded-expire")
    reply = api.command(name, "Reset", RESET, queue_ttl=1)

    assert reply.json()["status"] == "Queued"
    assert eventually(lambda: final_status(api, reply.json()["id"])) == "Expired"
