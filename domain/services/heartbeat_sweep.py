"""Marking chargers that went silent as Disconnected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ocpp.v16.enums import ConfigurationKey as OcppKey
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from domain.models import Charger, ChargerStatus, ConfigurationKey, SocketEvent, SocketEventKind
from domain.services.status import mark_disconnected


def sweep_heartbeats(
    session: Session,
    *,
    heartbeat_interval: int,
    timeout_factor: float,
    holds_socket: Callable[[str], bool],
    now: datetime,
) -> list[str]:
    """Mark Connected chargers silent for longer than `timeout_factor` heartbeat intervals
    as Disconnected, each with a StatusLog row saying how long it was silent; returns their
    names (flushed, not committed).

    A charger configured with a longer HeartbeatInterval (as last read from it) gets that
    longer allowance. A charger some node still holds a socket for (`holds_socket(name)`)
    is left Connected. Each change is conditional on the charger still being Connected and
    still silent, so two sweeps at once, or a heartbeat arriving meanwhile, never produce a
    wrong or second row.
    """
    earliest_limit = now - timedelta(seconds=heartbeat_interval * timeout_factor)
    candidates = session.scalars(
        select(Charger)
        .where(Charger.status == ChargerStatus.CONNECTED, _silent_since(earliest_limit))
        .order_by(Charger.id)
    ).all()
    intervals = _own_heartbeat_intervals(session, [charger.id for charger in candidates])
    disconnected = []
    for charger in candidates:
        allowed = timedelta(seconds=intervals.get(charger.id, heartbeat_interval) * timeout_factor)
        last_seen = _last_seen(charger)
        if last_seen is not None and now - last_seen <= allowed:
            continue
        if holds_socket(charger.name):
            continue
        if _disconnect_if_still_silent(session, charger, last_seen, allowed, now):
            disconnected.append(charger.name)
    session.flush()
    return disconnected


def _disconnect_if_still_silent(
    session: Session,
    charger: Charger,
    last_seen: datetime | None,
    allowed: timedelta,
    now: datetime,
) -> bool:
    """Mark the charger Disconnected with its StatusLog row, unless it is no longer Connected
    or spoke meanwhile (another sweep or a heartbeat won); True when this sweep marked it."""
    changed = session.execute(
        update(Charger)
        .where(
            Charger.id == charger.id,
            Charger.status == ChargerStatus.CONNECTED,
            _silent_since(now - allowed),
        )
        .values(status=ChargerStatus.DISCONNECTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False
    silence = (
        "never heard from" if last_seen is None else f"silent since {last_seen:%Y-%m-%dT%H:%M:%SZ}"
    )
    mark_disconnected(
        session,
        charger,
        now,
        f"heartbeat sweep: {silence}, limit {allowed.total_seconds():.0f} s",
    )
    # No node holds its socket any more: for its health, a dropped connection.
    session.add(SocketEvent(charger_id=charger.id, kind=SocketEventKind.DROPPED, at=now))
    return True


def _silent_since(limit: datetime):
    """Neither a heartbeat nor any other message since `limit`."""
    return and_(
        or_(Charger.last_heartbeat.is_(None), Charger.last_heartbeat < limit),
        or_(Charger.last_communication.is_(None), Charger.last_communication < limit),
    )


def _last_seen(charger: Charger) -> datetime | None:
    moments = [m for m in (charger.last_heartbeat, charger.last_communication) if m is not None]
    return max(moments) if moments else None


def _own_heartbeat_intervals(session: Session, charger_ids: list[int]) -> dict[int, int]:
    if not charger_ids:
        return {}
    rows = session.execute(
        select(ConfigurationKey.charger_id, ConfigurationKey.value).where(
            ConfigurationKey.charger_id.in_(charger_ids),
            ConfigurationKey.key == OcppKey.heartbeat_interval.value,
        )
    )
    intervals = {}
    for charger_id, value in rows:
        if value is not None and value.strip().isdigit() and int(value) > 0:
            intervals[charger_id] = int(value)
    return intervals
