"""The charger simulator (`python -m sim`) against real OCPP peers on loopback.

A central system built on the `ocpp` package's ChargePoint sends every command the simulator
answers and checks what the simulated charger does next; a second test drives the live Voltline
server through a full charging session and reads the rows it committed.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve

from domain.clock import to_wire, utcnow
from sim.charger import ChargerOptions, SimulatedCharger
from sim.stats import FleetStats
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
    assert stopped["meter_stop"] >= 0
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
