"""IdTags: the RFID cards and app tokens chargers send in Authorize and StartTransaction.

OCPP idTags are CiString20, so every lookup and the uniqueness check ignore case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput, NotFound
from domain.models import IdTag, IdTagStatus
from domain.services.authorize import find_id_tag

EDITABLE = frozenset({"status", "parent_id_tag", "expiry_date"})
# The idTag the charger simulator presents by default (`python -m sim --id-tag`).
DEMO_ID_TAG = "SIMTAG01"


def ensure_demo_id_tag(session: Session) -> bool:
    """Add the Accepted demo idTag DEMO_ID_TAG where it is missing (flushed); True when it
    was added."""
    if find_id_tag(session, DEMO_ID_TAG) is not None:
        return False
    create_id_tag(session, DEMO_ID_TAG)
    return True


def get_id_tag(session: Session, id_tag: str) -> IdTag:
    """The IdTag `id_tag` (any case); raises NotFound."""
    found = find_id_tag(session, id_tag)
    if found is None:
        raise NotFound(f"id tag {id_tag!r} not found")
    return found


def create_id_tag(
    session: Session,
    id_tag: str,
    *,
    status: str = IdTagStatus.ACCEPTED,
    parent_id_tag: str | None = None,
    expiry_date: datetime | None = None,
) -> IdTag:
    """Add an IdTag (flushed); raises Conflict when it exists in any case, InvalidInput
    for a status OCPP does not know."""
    _check_status(status)
    if find_id_tag(session, id_tag) is not None:
        raise Conflict(f"id tag {id_tag!r} already exists")
    tag = IdTag(id_tag=id_tag, status=status, parent_id_tag=parent_id_tag, expiry_date=expiry_date)
    session.add(tag)
    session.flush()
    return tag


def update_id_tag(session: Session, id_tag: str, **changes) -> IdTag:
    """Set any of status, parent_id_tag, expiry_date (None clears the last two); flushed.

    Raises NotFound, or InvalidInput for another field or an unknown status."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of an id tag")
    if "status" in changes:
        _check_status(changes["status"])
    tag = get_id_tag(session, id_tag)
    for name, value in changes.items():
        setattr(tag, name, value)
    session.flush()
    return tag


def delete_id_tag(session: Session, id_tag: str) -> None:
    """Remove the IdTag (flushed); raises NotFound. Transactions keep the tag text."""
    session.delete(get_id_tag(session, id_tag))
    session.flush()


def _check_status(status: str) -> None:
    if status not in set(IdTagStatus):
        raise InvalidInput(f"status must be one of {', '.join(IdTagStatus)}")
