"""Reservations: kept from accepted ReserveNow answers (see command_effects), used up by the
StartTransaction that names them, ended at their expiryDate. Ids are per charger."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from domain.models import Reservation

_RESERVATIONS = Reservation.__table__


class ReservationState(StrEnum):
    ACTIVE = "Active"
    CANCELLED = "Cancelled"
    USED = "Used"
    EXPIRED = "Expired"


def use_reservation(
    session: Session, charger_id: int, reservation_id: int, started_at: datetime
) -> str | None:
    """End the charger's Active reservation `reservation_id` because a StartTransaction
    named it (OCPP 1.6 section 5.13): Used, or Expired when the transaction started after
    its expiryDate. Written, not committed; returns the new state, or None when the charger
    has no such Active reservation."""
    return session.scalar(
        update(_RESERVATIONS)
        .where(
            _RESERVATIONS.c.charger_id == charger_id,
            _RESERVATIONS.c.reservation_id == reservation_id,
            _RESERVATIONS.c.status == ReservationState.ACTIVE,
        )
        .values(
            {
                _RESERVATIONS.c.status: case(
                    (_RESERVATIONS.c.expiry_date < started_at, ReservationState.EXPIRED.value),
                    else_=ReservationState.USED.value,
                )
            }
        )
        .returning(_RESERVATIONS.c.status)
    )


def expire_reservations(session: Session, now: datetime) -> int:
    """Mark every Active reservation whose expiryDate has passed Expired (written, not
    committed); returns how many. Safe to run twice or concurrently."""
    return session.execute(
        update(_RESERVATIONS)
        .where(
            _RESERVATIONS.c.status == ReservationState.ACTIVE,
            _RESERVATIONS.c.expiry_date <= now,
        )
        .values({_RESERVATIONS.c.status: ReservationState.EXPIRED.value})
    ).rowcount
