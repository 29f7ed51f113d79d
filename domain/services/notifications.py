"""Notifications stored as they came: DataTransfer, firmware, diagnostics, security
events, log uploads and certificate signing requests (ChargerEvent rows)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Action, DataTransferStatus
from sqlalchemy.orm import Session

from domain.models import Charger, ChargerEvent

# Which Charger column keeps the latest status word of a notification.
_STATUS_COLUMN = {
    Action.firmware_status_notification: "firmware_status",
    Action.signed_firmware_status_notification: "firmware_status",
    Action.diagnostics_status_notification: "diagnostics_status",
}


def record_charger_event(
    session: Session,
    charger: Charger,
    action: str,
    payload: dict[str, Any],
    now: datetime,
    status: str | None = None,
) -> ChargerEvent:
    """Store one notification (not flushed); `status` defaults to the payload's own
    `status` (or a security event's `type`). Firmware and diagnostics notifications also
    update the charger's latest firmware/diagnostics status."""
    word = status or payload.get("status") or payload.get("type")
    event = ChargerEvent(
        charger_id=charger.id, action=action, status=word, payload=payload, received_at=now
    )
    session.add(event)
    column = _STATUS_COLUMN.get(action)
    if column is not None:
        setattr(charger, column, payload["status"])
    return event


def record_data_transfer(
    session: Session,
    charger: Charger,
    payload: dict[str, Any],
    known_vendors: Collection[str],
    now: datetime,
) -> DataTransferStatus:
    """Store a charger's DataTransfer; Accepted when its vendorId is one we know
    (DATA_TRANSFER_VENDORS), else UnknownVendorId. Stored either way."""
    if payload["vendorId"] in known_vendors:
        status = DataTransferStatus.accepted
    else:
        status = DataTransferStatus.unknown_vendor_id
    record_charger_event(session, charger, Action.data_transfer, payload, now, status)
    return status
