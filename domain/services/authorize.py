"""Authorization of id tags: the idTagInfo of Authorize, StartTransaction, StopTransaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.v16.enums import AuthorizationStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.clock import to_wire
from domain.models import (
    Charger,
    IdTag,
    IdTagStatus,
    RegistrationStatus,
    Transaction,
    TransactionStatus,
)

_STATUS = {
    IdTagStatus.ACCEPTED: AuthorizationStatus.accepted,
    IdTagStatus.BLOCKED: AuthorizationStatus.blocked,
    IdTagStatus.EXPIRED: AuthorizationStatus.expired,
    IdTagStatus.INVALID: AuthorizationStatus.invalid,
}


def find_id_tag(session: Session, id_tag: str) -> IdTag | None:
    """The IdTag row for `id_tag`; OCPP id tags are case-insensitive (CiString20)."""
    return _find_id_tag(session, id_tag)[0]


def _find_id_tag(session: Session, id_tag: str, *also) -> tuple:
    """(the IdTag row or None, *the `also` columns read with it) in one query per attempt."""
    for match in (IdTag.id_tag == id_tag, func.lower(IdTag.id_tag) == id_tag.lower()):
        found = session.execute(select(IdTag, *also).where(match)).first()
        if found is not None:
            return tuple(found)
    return (None, *(None for _ in also))


def _charging(id_tag: str, except_transaction: int | None):
    """Whether an Active transaction (other than `except_transaction`) uses `id_tag`."""
    query = select(Transaction.id).where(
        Transaction.id_tag == id_tag, Transaction.status == TransactionStatus.ACTIVE
    )
    if except_transaction is not None:
        query = query.where(Transaction.id != except_transaction)
    return query.exists()


def id_tag_info(
    session: Session,
    charger: Charger,
    id_tag: str,
    now: datetime,
    *,
    check_concurrent: bool = True,
    except_transaction: int | None = None,
) -> dict[str, Any]:
    """The IdTagInfo for `id_tag`, reading only.

    Accepted for a known, unblocked, unexpired tag and for the charger's own `id_tag`;
    Blocked/Expired/Invalid from the IdTag table; Expired once `expiry_date` has passed;
    Invalid for an unknown tag; ConcurrentTx (when `check_concurrent`) for an otherwise
    Accepted tag that already charges in another transaction. A charger whose registration
    is not Accepted may not send these at all (1.6 section 4.2); its messages are still
    recorded, but the central system vouches for no tag to it: Invalid.
    """
    if charger.registration_status != RegistrationStatus.ACCEPTED:
        return {"status": AuthorizationStatus.invalid.value}
    if id_tag == charger.id_tag:
        return {"status": AuthorizationStatus.accepted.value}
    # The concurrent-transaction check rides along with the tag lookup (one round trip).
    also = (_charging(id_tag, except_transaction),) if check_concurrent else ()
    row, *charging = _find_id_tag(session, id_tag, *also)
    if row is None:
        return {"status": AuthorizationStatus.invalid.value}
    status = _STATUS.get(row.status, AuthorizationStatus.invalid)
    if status is AuthorizationStatus.accepted and row.expiry_date and row.expiry_date <= now:
        status = AuthorizationStatus.expired
    if status is AuthorizationStatus.accepted and check_concurrent and charging[0]:
        status = AuthorizationStatus.concurrent_tx
    info: dict[str, Any] = {"status": status.value}
    if row.parent_id_tag:
        info["parentIdTag"] = row.parent_id_tag
    if row.expiry_date:
        info["expiryDate"] = to_wire(row.expiry_date)
    return info
