"""What a simulated charger tells the central system on its own: boot, status, and the
messages a TriggerMessage asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocpp.v16 import call
from ocpp.v16.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    MessageTrigger,
)

from sim.meter import meter_values
from sim.wire_time import wire_now

if TYPE_CHECKING:
    from sim.connectors import Connector
    from sim.device import Device


def boot_notification(device: Device) -> call.BootNotification:
    return call.BootNotification(
        charge_point_model=device.options.model,
        charge_point_vendor=device.options.vendor,
        charge_point_serial_number=device.charger_id[-25:],
        firmware_version="sim-1.0",
        meter_type="SimMeter",
        meter_serial_number=f"M-{device.charger_id}"[-25:],
    )


async def notify_status(device: Device, connectors: list[Connector], include_charger: bool) -> None:
    if include_charger:
        overall = (
            ChargePointStatus.available
            if device.connectors.charger_operative
            else ChargePointStatus.unavailable
        )
        await _status_notification(device, 0, overall)
    for connector in connectors:
        await _status_notification(device, connector.connector_id, connector.status)


async def _status_notification(
    device: Device, connector_id: int, status: ChargePointStatus
) -> None:
    await device.call(
        call.StatusNotification(
            connector_id=connector_id,
            error_code=ChargePointErrorCode.no_error,
            status=status,
            timestamp=wire_now(),
        )
    )


def send_triggered(device: Device, message: MessageTrigger, connector_id: int | None) -> None:
    """Send the message a TriggerMessage asked for."""
    device.spawn(_send_triggered(device, message, connector_id))


async def _send_triggered(
    device: Device, message: MessageTrigger, connector_id: int | None
) -> None:
    targets = [device.connectors.get(connector_id)] if connector_id else list(device.connectors)
    if message == MessageTrigger.boot_notification:
        await device.call(boot_notification(device), before_accepted=True)
    elif message == MessageTrigger.heartbeat:
        await device.call(call.Heartbeat())
    elif message == MessageTrigger.status_notification:
        await notify_status(device, targets, include_charger=not connector_id)
    elif message == MessageTrigger.meter_values:
        for connector in targets:
            await device.call(meter_values(device, connector, trigger=True))
    elif message == MessageTrigger.diagnostics_status_notification:
        await device.call(call.DiagnosticsStatusNotification(status=DiagnosticsStatus.idle))
    elif message == MessageTrigger.firmware_status_notification:
        await device.call(call.FirmwareStatusNotification(status=FirmwareStatus.idle))
