"""A charging session as a charger runs it: authorize, start, meter values, stop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ocpp.v16 import call
from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointStatus,
    ReadingContext,
    Reason,
)

from sim.connectors import Connector, Session
from sim.meter import meter_values, sample
from sim.notifications import notify_status
from sim.wire_time import wire_now

if TYPE_CHECKING:
    from sim.device import Device


async def charge(charger: Device, connector: Connector, session: Session) -> None:
    """Run one session to its end; the connector is free again afterwards, whatever happened."""
    try:
        await _run(charger, connector, session)
    finally:
        charger.connectors.release(connector)
        session.finished.set()
        await notify_status(charger, [connector], include_charger=False)


async def _run(charger: Device, connector: Connector, session: Session) -> None:
    stats = charger.stats
    await _set_status(charger, connector, ChargePointStatus.preparing)
    if not session.remote or charger.configuration.flag("AuthorizeRemoteTxRequests"):
        answer = await charger.call(call.Authorize(id_tag=session.id_tag))
        if answer is None:
            stats.count("sessions_not_authorized_unanswered")
            return
        if answer.id_tag_info["status"] != AuthorizationStatus.accepted:
            # e.g. Blocked or Expired: the central system refuses this tag.
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


async def _meter_until_stopped(charger: Device, connector: Connector, session: Session) -> None:
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


async def _stop(charger: Device, connector: Connector, session: Session) -> None:
    await _set_status(charger, connector, ChargePointStatus.finishing)
    answer = await charger.call(
        call.StopTransaction(
            meter_stop=connector.meter_wh,
            timestamp=wire_now(),
            transaction_id=session.transaction_id,
            reason=session.stop_reason or Reason.local,
            id_tag=session.id_tag,
            transaction_data=[sample(charger, connector, session, ReadingContext.transaction_end)],
        )
    )
    charger.stats.count("sessions_completed" if answer is not None else "sessions_stop_unsent")


async def _set_status(charger: Device, connector: Connector, status: ChargePointStatus) -> None:
    connector.status = status
    await notify_status(charger, [connector], include_charger=False)


def claim(device: Device, connector: Connector, id_tag: str, remote: bool) -> Session:
    session = Session(id_tag=id_tag, remote=remote, duration=device.options.session_duration)
    connector.session = session
    return session


def launch(device: Device, connector: Connector, session: Session) -> None:
    device.spawn(charge(device, connector, session))


def start_local_session(device: Device, id_tag: str) -> bool:
    """A driver plugs in and presents `id_tag` at a free connector; False if none is free."""
    connector = device.connectors.free_connector()
    if connector is None or not device.accepted.is_set() or device.rebooting:
        return False
    launch(device, connector, claim(device, connector, id_tag, remote=False))
    return True


async def end_sessions(device: Device, reason: Reason) -> None:
    sessions = device.connectors.sessions()
    for session in sessions:
        session.request_stop(reason)
    await asyncio.gather(*(session.finished.wait() for session in sessions))
