"""A charger's recent history as pictures need it: when it was connected, and how many
frames it exchanged per time bucket."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from domain.models import ChargerStatus, OcppMessage, StatusLog
from domain.services.chargers import get_charger

BUCKETS = 48


def charger_timeline(session: Session, name: str, *, hours: int, now: datetime) -> dict[str, Any]:
    """Connected/disconnected segments covering the `hours` before `now` (the state before
    the first change in the window is the last one recorded before it; unknown counts as
    disconnected) and message counts in BUCKETS equal buckets. Raises NotFound. Reads only."""
    charger = get_charger(session, name)
    since = now - timedelta(hours=hours)
    socket_rows = and_(
        StatusLog.charger_id == charger.id,
        StatusLog.connector_id.is_(None),
        StatusLog.status.in_([ChargerStatus.CONNECTED, ChargerStatus.DISCONNECTED]),
    )
    before = session.scalar(
        select(StatusLog.status)
        .where(socket_rows, StatusLog.timestamp < since)
        .order_by(StatusLog.timestamp.desc(), StatusLog.id.desc())
        .limit(1)
    )
    changes = session.execute(
        select(StatusLog.timestamp, StatusLog.status)
        .where(socket_rows, StatusLog.timestamp >= since, StatusLog.timestamp <= now)
        .order_by(StatusLog.timestamp, StatusLog.id)
    ).all()
    segments, start, state = [], since, before == ChargerStatus.CONNECTED
    for at, status in changes:
        connected = status == ChargerStatus.CONNECTED
        if connected != state:
            if at > start:
                segments.append({"start": start, "end": at, "connected": state})
            start, state = at, connected
    segments.append({"start": start, "end": now, "connected": state})
    bucket = timedelta(hours=hours) / BUCKETS
    counts = [0] * BUCKETS
    for (at,) in session.execute(
        select(OcppMessage.created_at).where(
            OcppMessage.charger_name == charger.name,
            OcppMessage.created_at >= since,
            OcppMessage.created_at < now,
        )
    ):
        counts[min(BUCKETS - 1, int((at - since) / bucket))] += 1
    return {
        "since": since,
        "until": now,
        "segments": segments,
        "message_rate": {"bucket_seconds": bucket.total_seconds(), "counts": counts},
    }
