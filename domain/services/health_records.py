"""Reading a period's health figures from what is recorded: the message log, the status log,
socket events, commands, meter values and finalised transactions."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from ocpp.messages import MessageType
from ocpp.v16.enums import Action
from ocpp.v16.enums import ConfigurationKey as OcppKey
from sqlalchemy import and_, case, func, null, or_, select
from sqlalchemy.orm import Session

from domain.clock import parse_timestamp
from domain.models import (
    Charger,
    ChargerStatus,
    Command,
    ConfigurationKey,
    Direction,
    OcppMessage,
    SocketEvent,
    SocketEventKind,
    StatusLog,
)
from domain.services.health_boots import boot_reasons
from domain.services.health_figures import HealthFigures
from domain.services.health_meter import flagged_transactions, meter_readings, restricted

# The message type the message log gives a frame refused before parsing (web/ocpp/framing).
UNPARSED = 0
# A heartbeat later than this many expected intervals counts as late.
LATE_HEARTBEAT_FACTOR = 1.5
# Charger clocks further off than this (seconds) count as skewed.
SKEW_TOLERANCE_SECONDS = 60.0
# CALLs whose payload carries the charger's own clock reading.
_TIMESTAMPED = (
    Action.status_notification.value,
    Action.start_transaction.value,
    Action.stop_transaction.value,
)
_LOGGED_CALLS = (Action.heartbeat.value, Action.boot_notification.value, *_TIMESTAMPED)
_SOURCE_CHARGER = "charger"


def collect_figures(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    heartbeat_interval: int,
    charger_ids: list[int] | None = None,
) -> dict[int, HealthFigures]:
    """Figures of [since, until) per charger id, read raw (every charger when `charger_ids`
    is None); `heartbeat_interval` is what chargers without their own HeartbeatInterval
    were told. Reads only."""
    chargers = session.execute(
        restricted(select(Charger.id, Charger.name, Charger.created_at), Charger.id, charger_ids)
    ).all()
    figures = {row.id: HealthFigures() for row in chargers}
    ids_by_name = {row.name: row.id for row in chargers}
    if not figures:
        return figures
    ids = None if charger_ids is None else list(figures)
    _availability(session, figures, chargers, since, until)
    _socket_events(session, figures, ids, since, until)
    intervals = _heartbeat_intervals(session, ids, heartbeat_interval)
    _messages(session, figures, ids_by_name, since, until, intervals, ids is not None)
    _commands(session, figures, ids, since, until)
    meter_readings(session, figures, ids, since, until)
    flagged_transactions(session, figures, ids, since, until)
    return figures


def _availability(session, figures, chargers, since: datetime, until: datetime) -> None:
    """Connected time from the charger-level Connected/Disconnected status-log rows."""
    socket_rows = and_(
        StatusLog.connector_id.is_(None),
        StatusLog.status.in_([ChargerStatus.CONNECTED, ChargerStatus.DISCONNECTED]),
    )
    ids = list(figures)
    latest_before = (
        select(StatusLog.charger_id, func.max(StatusLog.timestamp).label("at"))
        .where(socket_rows, StatusLog.timestamp < since, StatusLog.charger_id.in_(ids))
        .group_by(StatusLog.charger_id)
        .subquery()
    )
    initial = dict(
        session.execute(
            select(StatusLog.charger_id, StatusLog.status)
            .join(
                latest_before,
                and_(
                    StatusLog.charger_id == latest_before.c.charger_id,
                    StatusLog.timestamp == latest_before.c.at,
                ),
            )
            .where(socket_rows)
        ).all()
    )
    changes = defaultdict(list)
    rows = session.execute(
        select(StatusLog.charger_id, StatusLog.timestamp, StatusLog.status)
        .where(
            socket_rows,
            StatusLog.timestamp >= since,
            StatusLog.timestamp < until,
            StatusLog.charger_id.in_(ids),
        )
        .order_by(StatusLog.charger_id, StatusLog.timestamp, StatusLog.id)
    )
    for charger_id, at, status in rows:
        changes[charger_id].append((at, status))
    for row in chargers:
        start = max(since, row.created_at)
        if start >= until:
            continue
        state, moment, connected = initial.get(row.id), start, 0.0
        for at, status in changes[row.id]:
            at = max(at, start)
            if state == ChargerStatus.CONNECTED:
                connected += (at - moment).total_seconds()
            state, moment = status, at
        if state == ChargerStatus.CONNECTED:
            connected += (until - moment).total_seconds()
        figures[row.id].observed_seconds = (until - start).total_seconds()
        figures[row.id].connected_seconds = connected


def _socket_events(session, figures, ids, since, until) -> None:
    statement = (
        select(SocketEvent.charger_id, SocketEvent.kind, func.count())
        .where(SocketEvent.at >= since, SocketEvent.at < until)
        .group_by(SocketEvent.charger_id, SocketEvent.kind)
    )
    for charger_id, kind, count in session.execute(
        restricted(statement, SocketEvent.charger_id, ids)
    ):
        if kind in (SocketEventKind.OPENED, SocketEventKind.REPLACED, SocketEventKind.DROPPED):
            setattr(figures[charger_id], str(kind), count)


def _heartbeat_intervals(session, ids, default: int) -> dict[int, int]:
    statement = select(ConfigurationKey.charger_id, ConfigurationKey.value).where(
        ConfigurationKey.key == OcppKey.heartbeat_interval.value
    )
    intervals = defaultdict(lambda: default)
    for charger_id, value in session.execute(
        restricted(statement, ConfigurationKey.charger_id, ids)
    ):
        if value is not None and value.strip().isdigit() and int(value) > 0:
            intervals[charger_id] = int(value)
    return intervals


def _messages(session, figures, ids_by_name, since, until, intervals, restricted) -> None:
    """Heartbeats, boots, clock readings, CALLERRORs we answered and refused frames."""
    statement = (
        select(
            OcppMessage.charger_name,
            OcppMessage.direction,
            OcppMessage.message_type,
            OcppMessage.action,
            # Heartbeats are most rows and their payload is never read: not fetched.
            case((OcppMessage.action == Action.heartbeat.value, null()), else_=OcppMessage.payload),
            OcppMessage.created_at,
        )
        .where(
            OcppMessage.created_at >= since,
            OcppMessage.created_at < until,
            or_(
                and_(
                    OcppMessage.direction == Direction.IN,
                    OcppMessage.message_type == MessageType.Call,
                    OcppMessage.action.in_(_LOGGED_CALLS),
                ),
                and_(
                    OcppMessage.direction == Direction.OUT,
                    OcppMessage.message_type == MessageType.CallError,
                    OcppMessage.source == _SOURCE_CHARGER,
                ),
                and_(OcppMessage.direction == Direction.IN, OcppMessage.message_type == UNPARSED),
            ),
        )
        .order_by(OcppMessage.created_at, OcppMessage.id)
    )
    if restricted:
        statement = statement.where(OcppMessage.charger_name.in_(list(ids_by_name)))
    heartbeats, boots, skews = defaultdict(list), defaultdict(list), defaultdict(list)
    for name, direction, message_type, action, payload, at in session.execute(statement):
        charger_id = ids_by_name.get(name)
        if charger_id is None:
            continue
        found = figures[charger_id]
        if message_type == UNPARSED:
            found.refused_frames += 1
        elif direction == Direction.OUT:
            code = payload[0] if isinstance(payload, list) and payload else "unknown"
            found.protocol_errors[str(code)] = found.protocol_errors.get(str(code), 0) + 1
        elif action == Action.heartbeat:
            heartbeats[charger_id].append(at)
        elif action == Action.boot_notification:
            boots[charger_id].append(at)
        else:
            skew = _skew_seconds(payload, at)
            if skew is not None:
                skews[charger_id].append(skew)
    for charger_id, moments in heartbeats.items():
        _heartbeat_figures(figures[charger_id], moments, intervals[charger_id])
    for charger_id, found in figures.items():
        found.heartbeat_interval = intervals[charger_id]
    for charger_id, values in skews.items():
        found = figures[charger_id]
        found.skew_samples = len(values)
        found.skewed = sum(1 for value in values if abs(value) > SKEW_TOLERANCE_SECONDS)
        found.skew_median = round(statistics.median(values), 3)
        found.skew_worst = round(max(values, key=abs), 3)
    for charger_id, reasons in boot_reasons(session, boots, since, until).items():
        figures[charger_id].boots = sum(reasons.values())
        figures[charger_id].boot_reasons = reasons


def _skew_seconds(payload: Any, received_at: datetime) -> float | None:
    stamp = payload.get("timestamp") if isinstance(payload, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        return (parse_timestamp(stamp) - received_at).total_seconds()
    except ValueError:
        return None


def _heartbeat_figures(found: HealthFigures, moments: list[datetime], interval: int) -> None:
    pairs = zip(moments, moments[1:], strict=False)
    gaps = [(later - earlier).total_seconds() for earlier, later in pairs]
    found.heartbeats = len(moments)
    found.late_heartbeats = sum(1 for gap in gaps if gap > interval * LATE_HEARTBEAT_FACTOR)
    if gaps:
        gaps.sort()
        found.heartbeat_gap_p95 = round(gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))], 3)


def _commands(session, figures, ids, since, until) -> None:
    statement = (
        select(Command.charger_id, Command.status, func.count())
        .where(Command.created_at >= since, Command.created_at < until)
        .group_by(Command.charger_id, Command.status)
    )
    for charger_id, status, count in session.execute(
        restricted(statement, Command.charger_id, ids)
    ):
        if charger_id in figures:
            figures[charger_id].command_outcomes[status] = count
