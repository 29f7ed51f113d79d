"""Answer a charger-initiated OCPP call: the one entry point from the socket (and from the
REST API's "as if the charger had sent it") into the domain services.

The payload must already have passed the 1.6 schema; the returned dict is the `.conf`
payload and itself validates against the Response schema. What a call changed that others
care about is recorded as domain events on the session. Nothing here knows about sockets:
the caller owns the unit of work, commits before sending the answer and then publishes the
session's events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ocpp.v16.enums import Action
from sqlalchemy.orm import Session

from domain.clock import parse_timestamp, to_wire
from domain.errors import InvalidInput
from domain.events import (
    BootAnswered,
    ChargerChanged,
    ConnectorStatusReported,
    TransactionStarted,
    TransactionStopped,
    record_event,
)
from domain.models import Charger
from domain.services import boot, meter_values, notifications, status, transactions
from domain.services.authorize import id_tag_info
from domain.services.certificate_requests import answer_sign_certificate
from domain.services.certificates import CertificateAuthority
from domain.services.charger_snapshots import ChargerSnapshot, note_communication
from domain.write_behind import Bookkeeping


@dataclass(frozen=True)
class CallContext:
    """What a call's answer depends on besides the database."""

    now: datetime
    heartbeat_interval: int
    # Set by boot-storm control: answer an Accepted charger Pending, retry after this.
    boot_retry_interval: int | None = None
    data_transfer_vendors: frozenset[str] = field(default_factory=frozenset)
    # Signs chargers' CSRs (CSMS_CA_CERT_FILE/CSMS_CA_KEY_FILE); None: SignCertificate Rejected.
    certificate_authority: CertificateAuthority | None = None
    # Where bookkeeping the charger will not resend goes (written behind); None writes it
    # in the call's own unit of work.
    bookkeeping: Bookkeeping | None = None


Payload = dict[str, Any]
# The answers below read only the snapshot's fields of the charger (id, name,
# registration_status, id_tag), except those in NEEDS_ROW.
Answer = Callable[[Session, Charger | ChargerSnapshot, Payload, CallContext], Payload]


def _boot_notification(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    boot.record_boot_notification(session, charger, p, ctx.now)
    status, interval = boot.registration_answer(
        charger, ctx.heartbeat_interval, ctx.boot_retry_interval
    )
    record_event(session, BootAnswered(charger.name, status.value))
    return {"status": status.value, "currentTime": to_wire(ctx.now), "interval": interval}


def _heartbeat(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    boot.record_heartbeat(charger, ctx.now)
    return {"currentTime": to_wire(ctx.now)}


def _authorize(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    # ConcurrentTx is StartTransaction.conf's word (1.6 section 7.2); Authorize never says it.
    return {"idTagInfo": id_tag_info(session, charger, p["idTag"], ctx.now, check_concurrent=False)}


def _start_transaction(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    started = transactions.start_transaction(
        session,
        charger,
        connector_id=p["connectorId"],
        id_tag=p["idTag"],
        meter_start=p["meterStart"],
        timestamp=parse_timestamp(p["timestamp"]),
        reservation_id=p.get("reservationId"),
        now=ctx.now,
    )
    record_event(
        session,
        TransactionStarted(charger.name, started.transaction_id, p["connectorId"], p["idTag"]),
    )
    return {"transactionId": started.transaction_id, "idTagInfo": started.id_tag_info}


def _stop_transaction(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    info = transactions.stop_transaction(
        session,
        charger,
        transaction_id=p["transactionId"],
        meter_stop=p["meterStop"],
        timestamp=parse_timestamp(p["timestamp"]),
        reason=p.get("reason"),
        id_tag=p.get("idTag"),
        transaction_data=p.get("transactionData", []),
        now=ctx.now,
    )
    record_event(session, TransactionStopped(charger.name, p["transactionId"], p.get("reason")))
    return {} if info is None else {"idTagInfo": info}


def _meter_values(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    meter_values.record_meter_values(
        session,
        charger,
        connector_id=p["connectorId"],
        ocpp_transaction_id=p.get("transactionId"),
        meter_values=p["meterValue"],
    )
    return {}


def _status_notification(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    status.record_status_notification(
        session,
        charger,
        connector_id=p["connectorId"],
        status=p["status"],
        error_code=p["errorCode"],
        info=p.get("info"),
        vendor_id=p.get("vendorId"),
        vendor_error_code=p.get("vendorErrorCode"),
        timestamp=parse_timestamp(p["timestamp"]) if "timestamp" in p else None,
        now=ctx.now,
    )
    record_event(
        session,
        ConnectorStatusReported(charger.name, p["connectorId"], p["status"], p["errorCode"]),
    )
    return {}


def _data_transfer(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    answer = notifications.record_data_transfer(
        session, charger, p, ctx.data_transfer_vendors, ctx.now
    )
    return {"status": answer.value}


def _sign_certificate(session: Session, charger: Charger, p: Payload, ctx: CallContext):
    answer = answer_sign_certificate(session, charger, p, ctx.certificate_authority, ctx.now)
    return {"status": answer.value}


def _stored_as_event(action: Action) -> Answer:
    def answer(session: Session, charger: Charger, p: Payload, ctx: CallContext):
        notifications.record_charger_event(session, charger, action, p, ctx.now)
        return {}

    return answer


ANSWERS: dict[str, Answer] = {
    Action.boot_notification: _boot_notification,
    Action.heartbeat: _heartbeat,
    Action.authorize: _authorize,
    Action.start_transaction: _start_transaction,
    Action.stop_transaction: _stop_transaction,
    Action.meter_values: _meter_values,
    Action.status_notification: _status_notification,
    Action.data_transfer: _data_transfer,
    Action.sign_certificate: _sign_certificate,
    **{
        action: _stored_as_event(action)
        for action in (
            Action.diagnostics_status_notification,
            Action.firmware_status_notification,
            Action.security_event_notification,
            Action.signed_firmware_status_notification,
            Action.log_status_notification,
        )
    },
}

# Answers that write the Charger row itself: given a snapshot, they load it.
NEEDS_ROW = frozenset({Action.boot_notification, Action.heartbeat})

# The actions a charger may send (OCPP 1.6 plus the security extension).
CHARGER_ACTIONS = frozenset(ANSWERS)
# What the charger expects us to keep (it resends them until answered): their message-log
# rows commit in the same unit of work as what they record. Every other exchange's rows
# are bookkeeping, fit for write-behind.
KEPT_BEFORE_ANSWER = frozenset(
    {
        Action.start_transaction,
        Action.stop_transaction,
        Action.meter_values,
        Action.status_notification,
    }
)


def _row_of(session: Session, snapshot: ChargerSnapshot) -> Charger | None:
    """The snapshot's Charger row, loaded (None when it has been deleted); a snapshot found
    to differ from it (a change whose ChargerChanged went astray) is to be taken again after
    the commit."""
    row = session.get(Charger, snapshot.id)
    if row is None:
        return None
    if (row.registration_status, row.id_tag) != (snapshot.registration_status, snapshot.id_tag):
        record_event(session, ChargerChanged(snapshot.name))
    return row


def answer_heartbeat(
    session: Session | None, charger_name: str, context: CallContext
) -> Payload | None:
    """Heartbeat.conf for charger `charger_name` without loading it.

    With `context.bookkeeping`, the last heartbeat and communication are only noted there (written
    behind; `session` is not used and may be None): a charger with an open socket cannot
    be deleted, so it is registered. Without, one UPDATE in `session`, and None when it is
    not registered."""
    if context.bookkeeping is not None:
        context.bookkeeping.note_heartbeat(charger_name, context.now)
    elif not boot.record_heartbeat_of(session, charger_name, context.now):
        return None
    return {"currentTime": to_wire(context.now)}


def answer_charger_call(
    session: Session,
    charger: Charger | ChargerSnapshot,
    action: str,
    payload: Payload,
    context: CallContext,
) -> Payload | None:
    """Run the domain service for a charger-initiated `action` and return the `.conf`.

    `charger` is its row, or its socket's snapshot (no row loaded unless the action writes
    the row). Writes through `session` (flushed, not committed) and notes the charger's last
    communication (written behind with `context.bookkeeping`). None when a snapshot's charger
    is found deleted; written behind, a deleted charger's rows fail on their foreign keys
    instead (see `charger_snapshots.explain_failure`). Raises InvalidInput for an action a
    charger does not send.
    """
    answer = ANSWERS.get(action)
    if answer is None:
        raise InvalidInput(f"{action} is not a charger-initiated OCPP 1.6 action")
    if isinstance(charger, ChargerSnapshot):
        if context.bookkeeping is not None:
            context.bookkeeping.note_communication(charger.name, context.now)
        elif not note_communication(session, charger, context.now):
            return None
        if action in NEEDS_ROW:
            charger = _row_of(session, charger)
            if charger is None:
                return None
    else:
        charger.last_communication = context.now
    return answer(session, charger, payload, context)
