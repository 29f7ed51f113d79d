"""The message-log rows of a central-system command's exchange (source "api")."""

from __future__ import annotations

from typing import Any

from ocpp.messages import MessageType

from domain.models import Direction
from domain.services.message_log import frame_row
from web.ocpp.connection import ChargerConnection


def call_frame(
    connection: ChargerConnection, command_id: str, action: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """The message-log row of the command's CALL on `connection`."""
    return command_frame(connection, MessageType.Call, Direction.OUT, command_id, action, payload)


def command_frame(
    connection: ChargerConnection,
    message_type: MessageType,
    direction: Direction,
    command_id: str,
    action: str,
    payload: Any,
) -> dict[str, Any]:
    return frame_row(
        charger_name=connection.charger_name,
        direction=direction,
        message_type=message_type,
        unique_id=command_id,
        action=action,
        payload=payload,
        source="api",
    )
