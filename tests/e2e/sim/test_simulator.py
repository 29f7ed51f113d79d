"""The charger simulator (`python -m sim`) against real OCPP peers on loopback.

A central system built on the `ocpp` package's ChargePoint sends every command the simulator
answers and checks what the simulated charger does next; a second test drives the live Voltline
server through a full charging session and reads the rows it committed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys

import pytest
from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from sqlalchemy import func, select
from websockets.asyncio.server import serve

from domain.clock import to_wire, utcnow
from domain.db import Database
from domain.models import Charger, MeterValue, StatusLog, Transaction, TransactionStatus
from domain.services.chargers import set_authorization_key
from domain.services.id_tags import ensure_demo_id_tag
from domain.settings import PROJECT_ROOT
from sim.charger import SimulatedCharger
from sim.options import ChargerOptions
from sim.stats import FleetStats
from tests.live_server import postgres_live_server
from tests.services import free_port

WAIT = 10.0


class CentralSystem(ChargePoint):
    """One charger's connection as seen from a minimal central system."""

    transaction_ids = itertools.count(100)

    def __init__(self, charger_id, connection, inbox: asyncio.Queue):
        super().__init__(charger_id, connection)
        self.inbox = inbox

    def _received(self, action, **payload):
        self.inbox.put_nowait((action, payload))

    @on(Action.boot_notification)
    def on_boot(self, **payload):
        self._received(Action.boot_notification, **payload)
        return call_result.BootNotification(
            current_time=to_wire(utcnow()), interval=300, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **payload):
        self._received(Action.heartbeat, **payload)
        return call_result.Heartbeat(current_time=to_wire(utcnow()))

    @on(Action.status_notification)
    def on_status(self, **payload):
        self._received(Action.status_notification, **payload)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, **payload):
        self._received(Action.authorize, **payload)
        return call_result.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    def on_start(self, **payload):
        self._received(Action.start_transaction, **payload)
        return call_result.StartTransaction(
            transaction_id=next(self.transaction_ids),
            id_tag_info={"status": AuthorizationStatus.accepted},
        )

    @on(Action.meter_values)
    def on_meter_values(self, **payload):
        self._received(Action.meter_values, **payload)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop(self, **payload):
        self._received(Action.stop_transaction, **payload)
        return call_result.StopTransaction()


class Harness:
    """A central system on a free port and what arrives at it, in order."""

    def __init__(self):
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.connections: asyncio.Queue = asyncio.Queue()
        self.port = free_port()

    async def handler(self, connection):
        charger_id = connection.request.path.rsplit("/", 1)[-1]
        central = CentralSystem(charger_id, connection, self.inbox)
        self.connections.put_nowait(central)
        await central.start()

    async def expect(self, action, **fields):
        """The next message of `action` whose payload has these fields; others are skipped."""

        async def find():
            while True:
                received, payload = await self.inbox.get()
                if received == action and all(payload.get(k) == v for k, v in fields.items()):
                    return payload

        return await asyncio.wait_for(find(), timeout=WAIT)


def test_simulated_charger_answers_commands_from_its_own_state():
    asyncio.run(_commands_scenario())


async def _commands_scenario():
    harness = Harness()
    stats = FleetStats()
    options = ChargerOptions(
        url=f"ws://127.0.0.1:{harness.port}/ocpp/", meter_interval=1, session_duration=60
    )
    charger = SimulatedCharger("sim-cmd-1", options, stats)
    stop = asyncio.Event()
    async with serve(harness.handler, "127.0.0.1", harness.port, subprotocols=["ocpp1.6"]):
        running = asyncio.create_task(charger.run(stop))
        central = await asyncio.wait_for(harness.connections.get(), WAIT)
        await harness.expect(Action.boot_notification, charge_point_vendor="Voltline")
        await harness.expect(Action.status_notification, connector_id=2, status="Available")

        await _configuration_commands(central)
        transaction_id = await _remote_session_commands(central, harness)
        await _availability_and_stop(central, harness, transaction_id)
        await _trigger_unlock_and_unsupported(central, harness)

        assert (await central.call(call.Reset(type="Soft"))).status == "Accepted"
        await harness.expect(Action.boot_notification)
        assert stats.events["reset_soft"] == 1

        stop.set()
        await asyncio.wait_for(running, WAIT)
    assert not stats.call_errors and not stats.timeouts


async def _configuration_commands(central):
    answer = await central.call(call.GetConfiguration(key=["HeartbeatInterval", "NoSuchKey"]))
    assert answer.configuration_key == [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"}
    ]
    assert answer.unknown_key == ["NoSuchKey"]
    changes = [
        ("MeterValueSampleInterval", "1", "Accepted"),
        ("NumberOfConnectors", "5", "Rejected"),
        ("HeartbeatInterval", "soon", "Rejected"),
        ("NoSuchKey", "1", "NotSupported"),
    ]
    for key, value, status in changes:
        answer = await central.call(call.ChangeConfiguration(key=key, value=value))
        assert answer.status == status, key


async def _remote_session_commands(central, harness) -> int:
    answer = await central.call(call.RemoteStartTransaction(id_tag="REMOTE01", connector_id=1))
    assert answer.status == "Accepted"
    await harness.expect(Action.authorize, id_tag="REMOTE01")
    started = await harness.expect(Action.start_transaction, connector_id=1, id_tag="REMOTE01")
    await harness.expect(Action.status_notification, connector_id=1, status="Charging")
    busy = await central.call(call.RemoteStartTransaction(id_tag="REMOTE02", connector_id=1))
    assert busy.status == "Rejected"
    meter = await harness.expect(Action.meter_values, connector_id=1)
    sample = meter["meter_value"][0]["sampled_value"][0]
    assert sample["measurand"] == "Energy.Active.Import.Register"
    assert int(sample["value"]) >= started["meter_start"]
    return meter["transaction_id"]


async def _availability_and_stop(central, harness, transaction_id):
    scheduled = await central.call(call.ChangeAvailability(connector_id=1, type="Inoperative"))
    assert scheduled.status == "Scheduled"
    now = await central.call(call.ChangeAvailability(connector_id=2, type="Inoperative"))
    assert now.status == "Accepted"
    await harness.expect(Action.status_notification, connector_id=2, status="Unavailable")
    unknown = await central.call(call.RemoteStopTransaction(transaction_id=transaction_id + 999))
    assert unknown.status == "Rejected"
    stop = await central.call(call.RemoteStopTransaction(transaction_id=transaction_id))
    assert stop.status == "Accepted"
    stopped = await harness.expect(Action.stop_transaction, transaction_id=transaction_id)
    assert stopped["reason"] == "Remote"
    # meterStop is the energy register the Transaction.End sample read at the same moment.
    [end] = stopped["transaction_data"]
    register = [v for v in end["sampled_value"] if v["context"] == "Transaction.End"]
    assert register[0]["measurand"] == "Energy.Active.Import.Register"
    assert stopped["meter_stop"] == int(register[0]["value"])
    await harness.expect(Action.status_notification, connector_id=1, status="Unavailable")
    refused = await central.call(call.RemoteStartTransaction(id_tag="REMOTE03"))
    assert refused.status == "Rejected"
    back = await central.call(call.ChangeAvailability(connector_id=0, type="Operative"))
    assert back.status == "Accepted"
    await harness.expect(Action.status_notification, connector_id=0, status="Available")


async def _trigger_unlock_and_unsupported(central, harness):
    trigger = await central.call(call.TriggerMessage(requested_message="Heartbeat"))
    assert trigger.status == "Accepted"
    await harness.expect(Action.heartbeat)
    bad_connector = await central.call(
        call.TriggerMessage(requested_message="StatusNotification", connector_id=9)
    )
    assert bad_connector.status == "Rejected"
    assert (await central.call(call.UnlockConnector(connector_id=9))).status == "NotSupported"
    assert (await central.call(call.UnlockConnector(connector_id=2))).status == "Unlocked"
    with pytest.raises(OCPPError) as error:
        await central.call(call.GetLocalListVersion(), suppress=False)
    # OCPP 1.6 4.2.3: a recognised action the receiver does not support is NotSupported.
    assert error.value.code == "NotSupported"


@pytest.fixture(scope="module")
def live():
    with postgres_live_server({"HEARTBEAT_INTERVAL": "60"}) as server:
        database = Database(server.database_url)
        with database.unit_of_work() as session:
            set_authorization_key(session, "charger_2", "sim-key-0123456789")
            # Outside the embedded default the operator adds the tag the simulator uses.
            ensure_demo_id_tag(session)
        yield server, database
        database.dispose()


def run_simulator(server, *args: str) -> subprocess.CompletedProcess:
    url = f"ws://127.0.0.1:{server.port}/ocpp/"
    return subprocess.run(
        [sys.executable, "-m", "sim", "--url", url, "--json", "--progress-interval", "1", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def summary_of(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout[result.stdout.index("{") :])


@pytest.mark.postgres
@pytest.mark.slow
def test_simulator_drives_live_server_through_full_sessions(live):
    server, database = live
    result = run_simulator(
        server,
        *("--id", "charger_1", "--session-rate", "4", "--session-duration", "2.5"),
        *("--meter-interval", "1", "--duration", "6"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = summary_of(result)
    events = summary["events"]
    assert summary["registrations"] == {"Accepted": 1}
    assert events["sessions_started"] >= 1
    assert events["sessions_completed"] == events["sessions_started"]
    assert not summary["call_errors"] and not summary["timeouts"]
    assert "[" in result.stdout.splitlines()[0]  # progress lines come before the summary

    with database.unit_of_work() as session:
        charger = session.scalar(select(Charger).where(Charger.name == "charger_1"))
        assert (charger.vendor, charger.model) == ("Voltline", "Simulator")
        transactions = session.scalars(
            select(Transaction).where(Transaction.charger_id == charger.id)
        ).all()
        assert len(transactions) == events["sessions_completed"]
        for transaction in transactions:
            assert transaction.status == TransactionStatus.COMPLETED
            assert transaction.id_tag == "SIMTAG01"
            assert transaction.meter_stop >= transaction.meter_start
            assert transaction.stop_reason == "Local"
        samples = session.scalar(
            select(func.count())
            .select_from(MeterValue)
            .where(MeterValue.transaction_id.in_([t.id for t in transactions]))
        )
        assert samples >= 2 * len(transactions)  # at least the Transaction.End readings
        statuses = session.scalars(
            select(StatusLog.status).where(StatusLog.charger_id == charger.id)
        ).all()
        assert any("Charging" in status for status in statuses), statuses


@pytest.mark.postgres
@pytest.mark.slow
def test_simulator_authenticates_with_the_charger_authorization_key(live):
    server, _ = live
    base = ("--id", "charger_2", "--duration", "2", "--heartbeat-interval", "1")
    accepted = run_simulator(server, *base, "--auth-key", "sim-key-0123456789")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    summary = summary_of(accepted)
    assert summary["registrations"] == {"Accepted": 1}
    assert summary["actions"]["Heartbeat"]["answered"] >= 1

    refused = run_simulator(server, *base, "--auth-key", "wrong-key")
    assert refused.returncode == 1
    assert summary_of(refused)["events"]["refused_http_401"] >= 1
