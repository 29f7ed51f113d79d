"""The message log of a charger's CALL exchanges: the rows its frames become and where they
go (written behind by the worker's bookkeeping writer, or else in a unit of work of their
own), for the call pipeline in `web.ocpp.handlers`."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

from ocpp.messages import MessageType

from domain.db import Database
from domain.models import Direction
from domain.services.message_log import frame_row, record_frames
from domain.write_behind import Bookkeeping
from web.ocpp.errors import CallErrorReply
from web.ocpp.framing import IncomingCall

log = logging.getLogger(__name__)


class Source(StrEnum):
    """Where a charger's CALL came from, as the message log records it."""

    CHARGER = "charger"  # the charger's socket
    API = "api"  # send-command, as if the charger had sent it


class FrameLog:
    """Where the frames logged outside an exchange's own unit of work go."""

    def __init__(self, database: Database, bookkeeping: Bookkeeping | None):
        self.database = database
        self.bookkeeping = bookkeeping

    def record_frame(
        self,
        charger_name: str,
        direction: Direction,
        message_type: int,
        unique_id: str | None,
        action: str | None,
        payload: Any,
        source: str = Source.CHARGER,
    ) -> None:
        """Log one frame in its own unit of work (see `log`)."""
        row = frame_row(
            charger_name=charger_name,
            direction=direction,
            message_type=message_type,
            unique_id=unique_id,
            action=action,
            payload=payload,
            source=source,
        )
        self.log(charger_name, unique_id, action, [row])

    def log(
        self,
        charger_name: str,
        unique_id: str | None,
        action: str | None,
        rows: list[dict[str, Any]],
    ) -> None:
        """Log message-log rows written behind, or else in one unit of work; a failure is
        logged, never raised, so a database outage cannot stop a socket from answering."""
        if self.bookkeeping is not None:
            self.bookkeeping.log_frames(rows)
            return
        try:
            with self.database.unit_of_work() as session:
                record_frames(session, rows)
        except Exception:  # noqa: BLE001
            log.exception(
                "ocpp frame not logged",
                extra={"charger_id": charger_name, "unique_id": unique_id, "action": action},
            )


def error_body(error: CallErrorReply) -> list[Any]:
    """A CALLERROR's [code, description, details], as the frame and its log row carry them."""
    return [error.code.value, error.description, error.details]


def call_rows(
    name: str,
    call: IncomingCall,
    frames: list[tuple[Direction, int, Any]],
    source: Source,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Message-log rows for frames (direction, message type, payload) of `call`'s exchange."""
    return [
        frame_row(
            charger_name=name,
            direction=direction,
            message_type=message_type,
            unique_id=call.unique_id,
            action=call.action,
            payload=payload,
            source=source,
            at=at,
        )
        for direction, message_type, payload in frames
    ]


def exchange_rows(
    name: str, call: IncomingCall, conf: dict[str, Any], source: Source, at: datetime
) -> list[dict[str, Any]]:
    """The CALL and its CALLRESULT as message-log rows."""
    frames = [
        (Direction.IN, MessageType.Call, call.payload),
        (Direction.OUT, MessageType.CallResult, conf),
    ]
    return call_rows(name, call, frames, source, at=at)
