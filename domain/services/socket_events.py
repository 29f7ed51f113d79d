"""How chargers' sockets open and end (replaced, dropped, closed), for their health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from domain.models import Charger, SocketEvent, SocketEventKind


def record_socket_event(
    session: Session, charger_name: str, kind: SocketEventKind, at: datetime
) -> bool:
    """Record that the charger's socket opened or ended as `kind` (Core statements); False
    when no such charger is registered. Commits nothing."""
    charger_id = session.scalar(select(Charger.id).where(Charger.name == charger_name))
    if charger_id is None:
        return False
    session.execute(insert(SocketEvent).values(charger_id=charger_id, kind=kind, at=at))
    return True
