"""Calls from us to a charger over its socket: one outstanding CALL at a time (OCPP-J), the
pending call waiting for its CALLRESULT or CALLERROR, and the outcomes a call can end in."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocpp.messages import MessageType

from domain.models import Direction
from web.ocpp.framing import IncomingError, IncomingResult, call_frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallResultMessage:
    """A charger's CALLRESULT to one of our calls."""

    unique_id: str
    action: str
    payload: dict[str, Any]


class CallFailed(Exception):
    """A call to a charger ended without a CALLRESULT."""


class CallErrorReceived(CallFailed):
    def __init__(self, unique_id: str, code: str, description: str, details: dict):
        super().__init__(f"{code}: {description}")
        self.unique_id = unique_id
        self.code = code
        self.description = description
        self.details = details


class CallTimeout(CallFailed):
    """No answer within the timeout."""


class ConnectionLost(CallFailed):
    """The socket closed before the answer came (or was closed when called)."""


@dataclass
class _PendingCall:
    action: str
    # True when the caller logs the CALL and a CALLRESULT itself (see `call(record=...)`).
    caller_records: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    outcome: CallResultMessage | CallFailed | None = None


# (direction, message type, unique id, action, payload, source) for the message log.
FrameRecorder = Callable[[Direction, int, str | None, str | None, Any, str], None]


class OutgoingCalls:
    """The calls one connection makes to its charger; `send` writes a frame to the socket
    (raising ConnectionLost), `is_closed` says whether the socket is gone."""

    def __init__(
        self,
        charger_name: str,
        send: Callable[[str], None],
        is_closed: Callable[[], bool],
        record_frame: FrameRecorder,
    ):
        self.charger_name = charger_name
        self._send = send
        self._is_closed = is_closed
        self._record_frame = record_frame
        # OCPP-J allows one outstanding CALL per direction: our calls queue here.
        self._call_lock = threading.Lock()
        self._pending: dict[str, _PendingCall] = {}
        # Guards handing an answer to its waiting call against that call timing out.
        self._pending_lock = threading.Lock()

    def call(
        self,
        action: str,
        payload: dict[str, Any],
        unique_id: str,
        timeout: float,
        source: str = "api",
        record: bool = True,
    ) -> CallResultMessage:
        """Send `[2, unique_id, action, payload]` and wait for the charger's answer.

        Returns the CALLRESULT; raises CallErrorReceived, CallTimeout (waiting for an
        earlier call counts against `timeout`) or ConnectionLost. Both frames are logged;
        with `record=False` the caller has logged the CALL and logs the CALLRESULT it gets
        back (in the unit of work that records the outcome), while a CALLERROR or an answer
        arriving after the timeout is still logged here.
        """
        if not self._call_lock.acquire(timeout=timeout):
            raise CallTimeout(f"{action} {unique_id}: an earlier call is still waiting")
        try:
            pending = _PendingCall(action, caller_records=not record)
            with self._pending_lock:
                self._pending[unique_id] = pending
            try:
                if self._is_closed():
                    raise ConnectionLost("socket closed")
                if record:
                    self._record_frame(
                        Direction.OUT, MessageType.Call, unique_id, action, payload, source
                    )
                self._send(call_frame(unique_id, action, payload))
                pending.done.wait(timeout)
            finally:
                with self._pending_lock:
                    self._pending.pop(unique_id, None)
            # Checked after the pop: an answer handed over meanwhile is not lost.
            if not pending.done.is_set():
                raise CallTimeout(f"{action} {unique_id}: no answer in {timeout}s")
            if isinstance(pending.outcome, CallFailed):
                raise pending.outcome
            return pending.outcome
        finally:
            self._call_lock.release()

    def resolve(self, message: IncomingResult | IncomingError) -> None:
        with self._pending_lock:
            pending = self._pending.get(message.unique_id)
            if (
                pending is not None
                and pending.caller_records
                and isinstance(message, IncomingResult)
                and not pending.done.is_set()
            ):
                # The waiting caller logs this CALLRESULT with the command's outcome.
                self._settle(pending, message)
                return
        action = pending.action if pending else None
        if isinstance(message, IncomingResult):
            self._record_frame(
                Direction.IN,
                MessageType.CallResult,
                message.unique_id,
                action,
                message.payload,
                "api",
            )
        else:
            body = [message.code, message.description, message.details]
            self._record_frame(
                Direction.IN, MessageType.CallError, message.unique_id, action, body, "api"
            )
        with self._pending_lock:
            # Looked up again: the call may have timed out while the frame was logged.
            pending = self._pending.get(message.unique_id)
            if pending is not None and not pending.done.is_set():
                self._settle(pending, message)
                return
        log.warning(
            "ocpp answer to no pending call, ignored",
            extra={
                "charger_id": self.charger_name,
                "unique_id": message.unique_id,
                "action": action,
                "outcome": "ignored",
            },
        )

    @staticmethod
    def _settle(pending: _PendingCall, message: IncomingResult | IncomingError) -> None:
        if isinstance(message, IncomingResult):
            pending.outcome = CallResultMessage(message.unique_id, pending.action, message.payload)
        else:
            pending.outcome = CallErrorReceived(
                message.unique_id, message.code, message.description, message.details
            )
        pending.done.set()

    def fail_pending(self, error: CallFailed) -> None:
        with self._pending_lock:
            for pending in self._pending.values():
                if not pending.done.is_set():
                    pending.outcome = error
                    pending.done.set()
