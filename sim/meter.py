"""What a simulated charger's meter reads: MeterValues and transaction samples."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocpp.v16 import call
from ocpp.v16.enums import Measurand, ReadingContext, UnitOfMeasure

from sim.wire_time import wire_now

if TYPE_CHECKING:
    from sim.connectors import Connector, Session
    from sim.device import Device

UNITS = {
    Measurand.energy_active_import_register: UnitOfMeasure.wh,
    Measurand.power_active_import: UnitOfMeasure.w,
    Measurand.current_import: UnitOfMeasure.a,
    Measurand.voltage: UnitOfMeasure.v,
    Measurand.soc: UnitOfMeasure.percent,
}
VOLTAGE = 230.0


def meter_values(charger: Device, connector: Connector, trigger: bool = False) -> call.MeterValues:
    """A MeterValues for the connector's present readings (periodic or triggered)."""
    session = connector.session
    context = ReadingContext.trigger if trigger else ReadingContext.sample_periodic
    return call.MeterValues(
        connector_id=connector.connector_id,
        transaction_id=session.transaction_id if session else None,
        meter_value=[sample(charger, connector, session, context)],
    )


def sample(charger: Device, connector: Connector, session: Session | None, context: str) -> dict:
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
