"""Why a charger booted, where the record says: OCPP 1.6's BootNotification carries no reason,
so a boot shortly after a Reset it accepted, or after a firmware installation it reported, is
put down to that, and any other boot is Unknown."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from enum import StrEnum

from ocpp.v16.enums import Action, FirmwareStatus, ResetStatus, ResetType
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import ChargerEvent, Command

# A boot this soon after an accepted Reset or a firmware installation is its consequence.
CAUSE_WINDOW = timedelta(minutes=15)
_INSTALLING = (FirmwareStatus.installing.value, FirmwareStatus.installed.value)


class BootReason(StrEnum):
    HARD_RESET = "HardReset"
    SOFT_RESET = "SoftReset"
    FIRMWARE_UPDATE = "FirmwareUpdate"
    UNKNOWN = "Unknown"


def boot_reasons(
    session: Session, boots: dict[int, list[datetime]], since: datetime, until: datetime
) -> dict[int, dict[str, int]]:
    """Per charger id, its boots (times in [since, until)) counted by BootReason."""
    if not boots:
        return {}
    ids = list(boots)
    earliest = since - CAUSE_WINDOW
    causes: dict[int, list[tuple[datetime, BootReason]]] = defaultdict(list)
    resets = session.execute(
        select(Command.charger_id, Command.completed_at, Command.payload).where(
            Command.charger_id.in_(ids),
            Command.action == Action.reset.value,
            Command.status == ResetStatus.accepted.value,
            Command.completed_at >= earliest,
            Command.completed_at < until,
        )
    )
    for charger_id, at, payload in resets:
        hard = (payload or {}).get("type") == ResetType.hard.value
        causes[charger_id].append((at, BootReason.HARD_RESET if hard else BootReason.SOFT_RESET))
    installs = session.execute(
        select(ChargerEvent.charger_id, ChargerEvent.received_at).where(
            ChargerEvent.charger_id.in_(ids),
            ChargerEvent.action == Action.firmware_status_notification.value,
            ChargerEvent.status.in_(_INSTALLING),
            ChargerEvent.received_at >= earliest,
            ChargerEvent.received_at < until,
        )
    )
    for charger_id, at in installs:
        causes[charger_id].append((at, BootReason.FIRMWARE_UPDATE))
    reasons: dict[int, dict[str, int]] = {}
    for charger_id, moments in boots.items():
        counted: dict[str, int] = {}
        for moment in moments:
            reason = _cause(causes[charger_id], moment)
            counted[reason] = counted.get(reason, 0) + 1
        reasons[charger_id] = counted
    return reasons


def _cause(causes: list[tuple[datetime, BootReason]], boot: datetime) -> BootReason:
    before = [(at, reason) for at, reason in causes if boot - CAUSE_WINDOW <= at <= boot]
    return max(before)[1] if before else BootReason.UNKNOWN
