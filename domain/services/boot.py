"""Registration and liveness: BootNotification and Heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from domain.models import Charger, RegistrationStatus

# BootNotification.req field -> Charger column.
BOOT_FIELDS = {
    "chargePointVendor": "vendor",
    "chargePointModel": "model",
    "chargePointSerialNumber": "serial_number",
    "chargeBoxSerialNumber": "box_serial_number",
    "firmwareVersion": "firmware_version",
    "iccid": "iccid",
    "imsi": "imsi",
    "meterType": "meter_type",
    "meterSerialNumber": "meter_serial_number",
}


def record_boot_notification(
    session: Session, charger: Charger, payload: dict[str, Any], now: datetime
) -> None:
    """Store what the charger says about itself; a field it leaves out is cleared, so the
    record always matches the last boot. Flushes nothing, commits nothing."""
    for field, column in BOOT_FIELDS.items():
        setattr(charger, column, payload.get(field))
    charger.last_boot_at = now
    charger.last_heartbeat = now


def registration_answer(
    charger: Charger, heartbeat_interval: int, storm_retry_interval: int | None
) -> tuple[RegistrationStatus, int]:
    """(status, interval) for BootNotification.conf.

    Rejected and Pending chargers keep that status (an operator decides); an Accepted
    charger is told Pending with `storm_retry_interval` while boot-storm control holds it
    back. For Accepted the interval is the heartbeat interval, otherwise the retry delay.
    """
    status = RegistrationStatus(charger.registration_status)
    if status is RegistrationStatus.ACCEPTED and storm_retry_interval is not None:
        return RegistrationStatus.PENDING, storm_retry_interval
    return status, heartbeat_interval


def record_heartbeat(charger: Charger, now: datetime) -> None:
    """Note that the charger is alive."""
    charger.last_heartbeat = now


def record_heartbeat_of(session: Session, charger_name: str, now: datetime) -> bool:
    """Note that charger `charger_name` is alive and heard from now, in one UPDATE (no ORM
    object loaded); False when no such charger is registered. Commits nothing."""
    changed = session.execute(
        update(Charger.__table__)
        .where(Charger.__table__.c.name == charger_name)
        .values(last_heartbeat=now, last_communication=now)
    ).rowcount
    return changed > 0
