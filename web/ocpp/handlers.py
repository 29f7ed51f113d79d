"""Answering a charger's CALL: validate, one unit of work through the domain, `.conf` out.

The `.conf` leaves only after the commit; a CALL that fails validation or whose unit of
work fails gets a CALLERROR and leaves no row behind (the rollback takes everything).
Background work the unit of work enqueued is dispatched after the answer is sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ocpp.messages import MessageType
from ocpp.v16.enums import Action
from sqlalchemy.orm import Session

from domain.boot_storm import BootStormGuard
from domain.clock import utcnow
from domain.db import Database
from domain.models import Direction
from domain.services.charger_calls import (
    KEPT_BEFORE_ANSWER,
    CallContext,
    answer_charger_call,
    answer_heartbeat,
)
from domain.services.chargers import find_charger
from domain.services.message_log import frame_row, record_frames
from domain.services.outbox import enqueued_tasks
from domain.settings import Settings
from domain.write_behind import Bookkeeping
from web import metrics
from web.ocpp.connection import ChargerConnection, Reply
from web.ocpp.errors import CallErrorCode, CallErrorReply, call_error_for
from web.ocpp.framing import IncomingCall, error_frame, result_frame
from web.ocpp.validation import error_code_for, schema_violations

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 255


class CallHandler:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        storm_guard: BootStormGuard,
        dispatch_outbox: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
        bookkeeping: Bookkeeping | None = None,
    ):
        self.database = database
        # Where bookkeeping the charger will not resend goes (written behind); None writes
        # it inline, in each exchange's unit of work.
        self.bookkeeping = bookkeeping
        self.settings = settings
        self.storm_guard = storm_guard
        self.dispatch_outbox = dispatch_outbox
        self.clock = clock
        # Called with (charger name, call, conf) after a CALL's unit of work committed
        # (e.g. to publish dashboard events); a failing hook never touches the answer.
        self.on_answered: list[Callable[[str, IncomingCall, dict[str, Any]], None]] = []

    def answer(self, connection: ChargerConnection, call: IncomingCall) -> Reply:
        """The reply to one CALL (never raises for anything the charger sent)."""
        started = time.perf_counter()
        name = connection.charger_name
        violations = schema_violations(call.action, call.payload)
        if violations:
            first = violations[0]
            error = CallErrorReply(
                error_code_for(violations),
                f"{first.path}: {first.message}"[:MAX_DESCRIPTION],
                {"violations": [violation.as_dict() for violation in violations]},
            )
            return self._refuse(name, call, error, started)
        context = self._context(call.action)
        try:
            if call.action == Action.heartbeat and self.bookkeeping is not None:
                # All of it is written behind: no unit of work to open and commit.
                conf, enqueued = self._answer_in(None, name, call, context), False
            else:
                with self.database.unit_of_work() as session:
                    conf = self._answer_in(session, name, call, context)
                    enqueued = enqueued_tasks(session)
        except Exception as failure:  # noqa: BLE001 - every failure becomes a CALLERROR
            error = call_error_for(failure)
            if error.code is CallErrorCode.INTERNAL_ERROR:
                log.exception(
                    "ocpp call failed",
                    extra=_fields(name, call, "InternalError", started),
                )
            return self._refuse(name, call, error, started)
        if self.bookkeeping is not None and call.action not in KEPT_BEFORE_ANSWER:
            self.bookkeeping.log_frames(_exchange_rows(name, call, conf, context.now))
        if log.isEnabledFor(logging.DEBUG):  # per frame: not even its fields otherwise
            log.debug("ocpp call answered", extra=_fields(name, call, "conf", started))
        took = time.perf_counter() - started
        self.storm_guard.observe(took, time.monotonic())  # boot admission follows latency
        metrics.record_ocpp_message(call.action, metrics.CALLRESULT, took)
        if call.action == Action.boot_notification:
            metrics.record_boot_answer(conf["status"])
        for hook in list(self.on_answered):
            try:
                hook(name, call, conf)
            except Exception:  # noqa: BLE001
                log.exception("on_answered hook failed", extra=_fields(name, call, "conf", started))
        return Reply(
            result_frame(call.unique_id, conf),
            after_send=self.dispatch_outbox if enqueued else None,
        )

    def _answer_in(
        self, session: Session | None, name: str, call: IncomingCall, context: CallContext
    ) -> dict[str, Any]:
        """The `.conf`, written through `session` (None: a Heartbeat written behind)."""
        if call.action == Action.heartbeat:
            conf = answer_heartbeat(session, name, context, self.bookkeeping)
        else:
            charger = find_charger(session, name)
            conf = (
                None
                if charger is None
                else answer_charger_call(session, charger, call.action, call.payload, context)
            )
        if conf is None:
            raise CallErrorReply(CallErrorCode.SECURITY_ERROR, f"{name} is no longer registered")
        broken = schema_violations(call.action, conf, response=True)
        if broken:
            raise RuntimeError(f"{call.action}.conf breaks the schema: {broken}")
        if self.bookkeeping is None or call.action in KEPT_BEFORE_ANSWER:
            record_frames(session, _exchange_rows(name, call, conf, context.now))
        return conf

    def _context(self, action: str) -> CallContext:
        retry = None
        if action == Action.boot_notification:
            retry = self.storm_guard.admit(time.monotonic())
        return CallContext(
            now=self.clock(),
            heartbeat_interval=self.settings.heartbeat_interval,
            boot_retry_interval=retry,
        )

    def _refuse(
        self, name: str, call: IncomingCall, error: CallErrorReply, started: float
    ) -> Reply:
        if error.code is not CallErrorCode.INTERNAL_ERROR:
            log.warning("ocpp call refused", extra=_fields(name, call, error.code, started))
        metrics.record_ocpp_message(call.action, error.code.value, time.perf_counter() - started)
        body = [error.code.value, error.description, error.details]
        self._log_frames(
            name,
            call.unique_id,
            call.action,
            _rows(
                name,
                call,
                [
                    (Direction.IN, MessageType.Call, call.payload),
                    (Direction.OUT, MessageType.CallError, body),
                ],
            ),
        )
        return Reply(error_frame(call.unique_id, *body))

    def record_frame(
        self,
        charger_name: str,
        direction: Direction,
        message_type: int,
        unique_id: str | None,
        action: str | None,
        payload: Any,
        source: str = "charger",
    ) -> None:
        """Log one frame in its own unit of work (see `_log_frames`)."""
        row = frame_row(
            charger_name=charger_name,
            direction=direction,
            message_type=message_type,
            unique_id=unique_id,
            action=action,
            payload=payload,
            source=source,
        )
        self._log_frames(charger_name, unique_id, action, [row])

    def _log_frames(
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


def _rows(
    name: str,
    call: IncomingCall,
    frames: list[tuple[Direction, int, Any]],
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
            at=at,
        )
        for direction, message_type, payload in frames
    ]


def _exchange_rows(
    name: str, call: IncomingCall, conf: dict[str, Any], at: datetime
) -> list[dict[str, Any]]:
    """The CALL and its CALLRESULT as message-log rows."""
    frames = [
        (Direction.IN, MessageType.Call, call.payload),
        (Direction.OUT, MessageType.CallResult, conf),
    ]
    return _rows(name, call, frames, at=at)


def _fields(name: str, call: IncomingCall, outcome: str, started: float) -> dict[str, Any]:
    return {
        "charger_id": name,
        "unique_id": call.unique_id,
        "action": call.action,
        "outcome": str(outcome),
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
