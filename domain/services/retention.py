"""Retention: old status logs, message logs, handed-over outbox rows and blocklist entries of
expired tokens are deleted in batches.

Each call deletes at most one batch, so the caller commits after every batch and no table is
locked for longer than one short statement. Deleting what is already gone deletes nothing, so
two pruners at once never fail and never delete more than one would.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from domain.models import OcppMessage, RevokedToken, StatusLog, TaskOutbox


def prune_status_logs(session: Session, older_than: datetime, batch_size: int) -> int:
    """Delete up to `batch_size` StatusLog rows stamped before `older_than`; returns how many
    (executed, not committed)."""
    return _delete_batch(session, StatusLog.id, StatusLog.timestamp, older_than, batch_size)


def prune_message_log(session: Session, older_than: datetime, batch_size: int) -> int:
    """Delete up to `batch_size` OCPP message log rows created before `older_than`; returns
    how many (executed, not committed)."""
    return _delete_batch(session, OcppMessage.id, OcppMessage.created_at, older_than, batch_size)


def prune_dispatched_outbox(session: Session, older_than: datetime, batch_size: int) -> int:
    """Delete up to `batch_size` outbox rows handed to the broker before `older_than`;
    pending rows are never deleted. Returns how many (executed, not committed)."""
    return _delete_batch(session, TaskOutbox.id, TaskOutbox.dispatched_at, older_than, batch_size)


def prune_revoked_tokens(session: Session, expired_before: datetime, batch_size: int) -> int:
    """Delete up to `batch_size` blocklist entries of tokens that expired before
    `expired_before` (an expired token is refused anyway). Returns how many (not committed)."""
    return _delete_batch(
        session, RevokedToken.jti, RevokedToken.expires_at, expired_before, batch_size
    )


def _delete_batch(
    session: Session,
    id_column: InstrumentedAttribute,
    time_column: InstrumentedAttribute,
    older_than: datetime,
    batch_size: int,
) -> int:
    oldest = select(id_column).where(time_column < older_than).order_by(id_column).limit(batch_size)
    result = session.execute(
        delete(id_column.class_)
        .where(id_column.in_(oldest.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
