"""A charger's certificate life (OCPP 1.6 security extension): its SignCertificate answered
and the signed chain sent back as a CertificateSigned command; renewals asked for with
ExtendedTriggerMessage(SignChargePointCertificate) when a certificate nears its end.

The central system's own commands are ordinary Command rows (requested by "csms"), queued
so they are delivered (and their outcome recorded) by the relay like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ocpp.v16.enums import Action, GenericStatus, MessageTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.models import Charger, ChargerStatus, Command, RegistrationStatus
from domain.services.certificates import (
    MAX_CHAIN_CHARACTERS,
    RENEWAL_WINDOW,
    CertificateAuthority,
)
from domain.services.commands import create_command, queue_command
from domain.services.notifications import record_charger_event

CSMS = "csms"  # requested_by of the commands the central system sends by itself
# How long a CertificateSigned or renewal request waits for a charger that went away.
DELIVERY_TTL = timedelta(hours=24)
# A charger is asked to renew at most this often.
RENEWAL_REQUEST_INTERVAL = timedelta(days=1)
RENEW = {"requestedMessage": MessageTrigger.sign_charge_point_certificate.value}


@dataclass(frozen=True)
class QueuedCommand:
    """A command the central system queued for a charger, to offer to its socket."""

    charger_name: str
    command_id: str
    action: str
    payload: dict[str, Any]


def answer_sign_certificate(
    session: Session,
    charger: Charger,
    payload: dict[str, Any],
    authority: CertificateAuthority | None,
    now: datetime,
) -> GenericStatus:
    """Sign the CSR of a charger's SignCertificate with `authority`: Accepted, with a
    CertificateSigned command carrying the chain queued for the charger (flushed); Rejected
    when there is no authority, the charger is not Accepted, or the CSR is unreadable, badly
    signed or for another identity than the charger's. The request is kept either way."""
    chain = None
    if authority is not None and charger.registration_status == RegistrationStatus.ACCEPTED:
        try:
            chain = authority.sign(payload["csr"], charger.name, now)
        except InvalidInput:
            chain = None
    status = GenericStatus.rejected
    if chain is not None and len(chain) <= MAX_CHAIN_CHARACTERS:
        status = GenericStatus.accepted
        _queue(session, charger.name, Action.certificate_signed, {"certificateChain": chain}, now)
    record_charger_event(session, charger, Action.sign_certificate, payload, now, status)
    return status


def request_certificate_renewals(session: Session, now: datetime) -> list[QueuedCommand]:
    """Queue ExtendedTriggerMessage(SignChargePointCertificate) for every connected,
    Accepted charger whose certificate ends within RENEWAL_WINDOW and that was not asked in
    the last RENEWAL_REQUEST_INTERVAL (flushed); returns what was queued."""
    due = session.scalars(
        select(Charger.name).where(
            Charger.certificate_expires_at <= now + RENEWAL_WINDOW,
            Charger.status == ChargerStatus.CONNECTED,
            Charger.registration_status == RegistrationStatus.ACCEPTED,
            ~select(Command.id)
            .where(
                Command.charger_id == Charger.id,
                Command.action == Action.extended_trigger_message,
                Command.requested_by == CSMS,
                Command.created_at > now - RENEWAL_REQUEST_INTERVAL,
            )
            .exists(),
        )
    ).all()
    return [_queue(session, name, Action.extended_trigger_message, RENEW, now) for name in due]


def _queue(
    session: Session, name: str, action: str, payload: dict[str, Any], now: datetime
) -> QueuedCommand:
    command, _created = create_command(
        session,
        name,
        action,
        payload,
        requested_by=CSMS,
        queue_ttl=DELIVERY_TTL.total_seconds(),
        now=now,
    )
    queue_command(session, command.id)
    return QueuedCommand(name, command.id, command.action, payload)
