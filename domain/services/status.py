"""What state chargers and connectors are in: StatusNotification, and the heartbeat sweep's
Disconnected (a socket's opening and ending: `socket_events`)."""

from __future__ import annotations

from datetime import datetime

from ocpp.v16.enums import ChargePointStatus
from sqlalchemy.orm import Session

from domain.models import Charger, ChargerStatus, ConnectorStatus, StatusLog
from domain.services.chargers import ensure_connector

# The original design's three words for a connector's OCPP status.
CONNECTOR_STATUS = {
    ChargePointStatus.available: ConnectorStatus.AVAILABLE,
    ChargePointStatus.preparing: ConnectorStatus.OCCUPIED,
    ChargePointStatus.charging: ConnectorStatus.OCCUPIED,
    ChargePointStatus.suspended_ev: ConnectorStatus.OCCUPIED,
    ChargePointStatus.suspended_evse: ConnectorStatus.OCCUPIED,
    ChargePointStatus.finishing: ConnectorStatus.OCCUPIED,
    ChargePointStatus.reserved: ConnectorStatus.OCCUPIED,
    ChargePointStatus.faulted: ConnectorStatus.FAULTY,
    ChargePointStatus.unavailable: ConnectorStatus.FAULTY,
}


def mark_disconnected(session: Session, charger: Charger, now: datetime, reason: str) -> None:
    """The charger's socket closed: status Disconnected plus a StatusLog row saying why."""
    charger.status = ChargerStatus.DISCONNECTED
    session.add(
        StatusLog(
            charger_id=charger.id, timestamp=now, status=ChargerStatus.DISCONNECTED, message=reason
        )
    )


def record_status_notification(
    session: Session,
    charger: Charger,
    *,
    connector_id: int,
    status: str,
    error_code: str,
    info: str | None,
    vendor_id: str | None,
    vendor_error_code: str | None,
    timestamp: datetime | None,
    now: datetime,
) -> None:
    """Write a StatusLog row and, for connector > 0, the connector's state (flushed).

    Connector 0 is the charger itself: only the log row. A notification older than the
    one already applied (a charger replaying its queue) is logged but does not overwrite
    the newer state.
    """
    at = timestamp or now
    details = [f"errorCode={error_code}"]
    details += [
        f"{name}={value}"
        for name, value in (
            ("info", info),
            ("vendorId", vendor_id),
            ("vendorErrorCode", vendor_error_code),
        )
        if value
    ]
    session.add(
        StatusLog(
            charger_id=charger.id,
            connector_id=connector_id,
            timestamp=at,
            status=status,
            message="; ".join(details),
        )
    )
    if connector_id == 0:
        return
    connector = ensure_connector(session, charger, connector_id)
    if connector.last_communication is not None and connector.last_communication > at:
        return
    connector.status = CONNECTOR_STATUS[ChargePointStatus(status)]
    connector.ocpp_status = status
    connector.error_code = error_code
    connector.info = info
    connector.vendor_id = vendor_id
    connector.vendor_error_code = vendor_error_code
    connector.last_communication = at
