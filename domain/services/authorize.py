"""Authorization of id tags: the idTagInfo of Authorize, StartTransaction, StopTransaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.v16.enums import AuthorizationStatus
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from domain.clock import to_wire
from domain.db import statement_connection
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
    return _find_id_tag(session, id_tag)


def _find_id_tag(session: Session, id_tag: str) -> IdTag | None:
    for match in (IdTag.id_tag == id_tag, func.lower(IdTag.id_tag) == id_tag.lower()):
        found = session.scalars(select(IdTag).where(match)).first()
        if found is not None:
            return found
    return None


_TAGS = IdTag.__table__
_TRANSACTIONS = Transaction.__table__
_TAG_COLUMNS = (_TAGS.c.status, _TAGS.c.expiry_date, _TAGS.c.parent_id_tag)
_TAG = bindparam("tag")


def _charging(except_transaction: bool):
    """Whether an Active transaction (other than the bound `transaction`) uses the tag."""
    query = select(_TRANSACTIONS.c.id).where(
        _TRANSACTIONS.c.id_tag == _TAG, _TRANSACTIONS.c.status == TransactionStatus.ACTIVE
    )
    if except_transaction:
        query = query.where(_TRANSACTIONS.c.id != bindparam("transaction"))
    return query.exists().label("charging")


# Built once: the tag's idTagInfo columns, matched exactly or case-insensitively, alone or
# with whether it charges elsewhere (ConcurrentTx rides along: one round trip per attempt).
_LOOKUPS = {
    (exact, concurrent, excepted): select(
        *_TAG_COLUMNS, *((_charging(excepted),) if concurrent else ())
    ).where(
        _TAGS.c.id_tag == _TAG if exact else func.lower(_TAGS.c.id_tag) == bindparam("lower_tag")
    )
    for exact in (True, False)
    for concurrent in (True, False)
    for excepted in (True, False)
}


def _tag_row(session: Session, id_tag: str, concurrent: bool, except_transaction: int | None):
    """The tag's status, expiry, parent (and `charging` when `concurrent`), or None."""
    params = {"tag": id_tag, "lower_tag": id_tag.lower(), "transaction": except_transaction}
    connection = statement_connection(session)
    for exact in (True, False):
        lookup = _LOOKUPS[exact, concurrent, except_transaction is not None]
        found = connection.execute(lookup, params).first()
        if found is not None:
            return found
    return None


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
    row = _tag_row(session, id_tag, check_concurrent, except_transaction)
    if row is None:
        return {"status": AuthorizationStatus.invalid.value}
    status = _STATUS.get(row.status, AuthorizationStatus.invalid)
    if status is AuthorizationStatus.accepted and row.expiry_date and row.expiry_date <= now:
        status = AuthorizationStatus.expired
    if status is AuthorizationStatus.accepted and check_concurrent and row.charging:
        status = AuthorizationStatus.concurrent_tx
    info: dict[str, Any] = {"status": status.value}
    if row.parent_id_tag:
        info["parentIdTag"] = row.parent_id_tag
    if row.expiry_date:
        info["expiryDate"] = to_wire(row.expiry_date)
    return info
