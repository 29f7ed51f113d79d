"""A charging session as a charger runs it: authorize, start, meter values, stop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ocpp.v16 import call
from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointStatus,
    Measurand,
    ReadingContext,
    Reason,
    UnitOfMeasure,
)

from sim.wire_time import wire_now

if TYPE_CHECKING:
    from sim.charger import SimulatedCharger
    from sim.connectors import Connector, Session

UNITS = {
    Measurand.energy_active_import_register: UnitOfMeasure.wh,
    Measurand.power_active_import: UnitOfMeasure.w,
    Measurand.current_import: UnitOfMeasure.a,
    Measurand.voltage: UnitOfMeasure.v,
    Measurand.soc: UnitOfMeasure.percent,
}
VOLTAGE = 230.0


async def charge(charger: SimulatedCharger, connector: Connector, session: Session) -> None:
    """Run one session to its end; the connector is free again afterwards, whatever happened."""
    try:
        await _run(charger, connector, session)
    finally:
        charger.connectors.release(connector)
        session.finished.set()
        await charger.notify_status([connector], include_charger=False)


async def _run(charger: SimulatedCharger, connector: Connector, session: Session) -> None:
    stats = charger.stats
    await _set_status(charger, connector, ChargePointStatus.preparing)
    if not session.remote or charger.configuration.flag("AuthorizeRemoteTxRequests"):
        answer = await charger.call(call.Authorize(id_tag=session.id_tag))
        if answer is None:
            stats.count("sessions_not_authorized_unanswered")
            return
        if answer.id_tag_info["status"] != AuthorizationStatus.accepted:
            # e.g. ConcurrentTx: the central system sees this tag charging elsewhere.
            stats.count(f"sessions_not_authorized_{answer.id_tag_info['status']}")
            return
    if session.stopped.is_set():
        stats.count("sessions_cancelled")
        return
    started = await charger.call(
        call.StartTransaction(
            connector_id=connector.connector_id,
            id_tag=session.id_tag,
            meter_start=connector.meter_wh,
            timestamp=wire_now(),
        )
    )
    if started is None:
        stats.count("sessions_not_started")
        return
    session.transaction_id = started.transaction_id
    stats.count("sessions_started")
    if started.id_tag_info["status"] != AuthorizationStatus.accepted and charger.configuration.flag(
        "StopTransactionOnInvalidId"
    ):
        session.request_stop(Reason.de_authorized)
    else:
        await _set_status(charger, connector, ChargePointStatus.charging)
        await _meter_until_stopped(charger, connector, session)
    await _stop(charger, connector, session)


async def _meter_until_stopped(
    charger: SimulatedCharger, connector: Connector, session: Session
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + session.duration
    last = loop.time()
    while not session.stopped.is_set():
        interval = charger.configuration.integer("MeterValueSampleInterval") or session.duration
        wait = min(interval, deadline - loop.time())
        if wait <= 0:
            session.request_stop(Reason.local)
            break
        try:
            await asyncio.wait_for(session.stopped.wait(), timeout=wait)
        except TimeoutError:
            pass
        now = loop.time()
        connector.meter_wh += round(session.power_w * (now - last) / 3600)
        last = now
        if not session.stopped.is_set() and now < deadline:
            await charger.call(meter_values(charger, connector))


async def _stop(charger: SimulatedCharger, connector: Connector, session: Session) -> None:
    await _set_status(charger, connector, ChargePointStatus.finishing)
    answer = await charger.call(
        call.StopTransaction(
            meter_stop=connector.meter_wh,
            timestamp=wire_now(),
            transaction_id=session.transaction_id,
            reason=session.stop_reason or Reason.local,
            id_tag=session.id_tag,
            transaction_data=[_sample(charger, connector, session, ReadingContext.transaction_end)],
        )
    )
    charger.stats.count("sessions_completed" if answer is not None else "sessions_stop_unsent")


async def _set_status(
    charger: SimulatedCharger, connector: Connector, status: ChargePointStatus
) -> None:
    connector.status = status
    await charger.notify_status([connector], include_charger=False)


def meter_values(
    charger: SimulatedCharger, connector: Connector, trigger: bool = False
) -> call.MeterValues:
    """A MeterValues for the connector's present readings (periodic or triggered)."""
    session = connector.session
    context = ReadingContext.trigger if trigger else ReadingContext.sample_periodic
    return call.MeterValues(
        connector_id=connector.connector_id,
        transaction_id=session.transaction_id if session else None,
        meter_value=[_sample(charger, connector, session, context)],
    )


def _sample(
    charger: SimulatedCharger, connector: Connector, session: Session | None, context: str
) -> dict:
    power = session.power_w if session and not session.stopped.is_set() else 0.0
    readings = {
        Measurand.energy_active_import_register: str(connector.meter_wh),
        Measurand.power_active_import: f"{power:.0f}",
        Measurand.current_import: f"{power / VOLTAGE:.1f}",
        Measurand.voltage: f"{VOLTAGE:.0f}",
        Measurand.soc: str(min(100, 20 + connector.meter_wh % 80)),
    }
    sampled = [
        {
            "value": readings[Measurand(name)],
            "context": context,
            "measurand": name,
            "unit": UNITS[Measurand(name)],
        }
        for name in charger.configuration.measurands()
    ]
    return {"timestamp": wire_now(), "sampledValue": sampled}
