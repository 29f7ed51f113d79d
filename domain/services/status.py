"""What state chargers and connectors are in: StatusNotification, and the heartbeat sweep's
Disconnected (a socket's opening and ending: `socket_events`)."""

from __future__ import annotations

from datetime import datetime

from ocpp.v16.enums import ChargePointStatus
from sqlalchemy import bindparam, insert, or_, update
from sqlalchemy.orm import Session

from domain.db import statement_connection
from domain.models import Charger, ChargerStatus, Connector, ConnectorStatus, StatusLog
from domain.services.charger_snapshots import ChargerSnapshot
from domain.services.chargers import connector_pk

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
    charger: Charger | ChargerSnapshot,
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
    """Write a StatusLog row and, for connector > 0, the connector's state (Core statements
    built once; the connector is created on first sight).

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
    connection = statement_connection(session)
    logged = {"status": status, "message": "; ".join(details)}
    connection.execute(
        _LOG_STATUS,
        {**logged, "charger_id": charger.id, "connector_id": connector_id, "timestamp": at},
    )
    if connector_id == 0:
        return
    state = {
        "b_connector": connector_pk(session, charger, connector_id),
        "b_at": at,
        "b_status": CONNECTOR_STATUS[ChargePointStatus(status)],
        "b_ocpp_status": status,
        "b_error_code": error_code,
        "b_info": info,
        "b_vendor_id": vendor_id,
        "b_vendor_error_code": vendor_error_code,
    }
    connection.execute(_APPLY_STATUS, state)


# Built once: every StatusNotification runs them.
_LOG_STATUS = insert(StatusLog.__table__)
_CONNECTORS = Connector.__table__
# The notified state, unless the connector already holds a newer one.
_APPLY_STATUS = (
    update(_CONNECTORS)
    .where(
        _CONNECTORS.c.id == bindparam("b_connector"),
        or_(
            _CONNECTORS.c.last_communication.is_(None),
            _CONNECTORS.c.last_communication <= bindparam("b_at"),
        ),
    )
    .values(
        {
            _CONNECTORS.c.status: bindparam("b_status"),
            _CONNECTORS.c.ocpp_status: bindparam("b_ocpp_status"),
            _CONNECTORS.c.error_code: bindparam("b_error_code"),
            _CONNECTORS.c.info: bindparam("b_info"),
            _CONNECTORS.c.vendor_id: bindparam("b_vendor_id"),
            _CONNECTORS.c.vendor_error_code: bindparam("b_vendor_error_code"),
            _CONNECTORS.c.last_communication: bindparam("b_at"),
        }
    )
)
