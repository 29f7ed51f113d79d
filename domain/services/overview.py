"""System-wide counts for monitoring: read-only, nothing committed."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.models import Charger, ChargerStatus, Transaction, TransactionStatus


def count_connected_chargers(session: Session) -> int:
    """Chargers whose recorded status is Connected."""
    query = (
        select(func.count()).select_from(Charger).where(Charger.status == ChargerStatus.CONNECTED)
    )
    return session.scalar(query) or 0


def count_active_transactions(session: Session) -> int:
    """Charging sessions not yet stopped (status Active)."""
    query = (
        select(func.count())
        .select_from(Transaction)
        .where(Transaction.status == TransactionStatus.ACTIVE)
    )
    return session.scalar(query) or 0
