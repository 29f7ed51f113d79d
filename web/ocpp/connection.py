"""One object per live charger socket: sending, the read loop, and calls to the charger.

Threading primitives are the standard library's; under gunicorn's gevent worker they are
monkey-patched, so waiting for a charger's answer parks a greenlet, not a thread.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocpp.messages import MessageType
from simple_websocket import ConnectionClosed

from domain.models import Direction
from web import metrics
from web.ocpp.framing import (
    UNPARSED,
    BadFrame,
    IgnoredFrame,
    IncomingCall,
    IncomingError,
    IncomingResult,
    call_frame,
    error_frame,
    parse_frame,
)

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_UNSUPPORTED_DATA = 1003


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


@dataclass(frozen=True)
class Reply:
    """The frame answering a CALL."""

    frame: str


# Handles one CALL from the charger and returns the reply.
CallAnswerer = Callable[["ChargerConnection", IncomingCall], Reply]


class _SendAll:
    """simple-websocket writes with `sock.send`, which under gevent may write part of a
    large frame; route writes through `sendall` and everything else to the socket."""

    def __init__(self, sock):
        self._sock = sock

    def send(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class ChargerConnection:
    def __init__(
        self,
        ws,
        charger_name: str,
        *,
        record_frame: FrameRecorder,
        supported_actions: frozenset[str],
    ):
        self.ws = ws
        self.ws.sock = _SendAll(ws.sock)
        self.charger_name = charger_name
        self.close_reason = ""  # set when we close it
        self._record_frame = record_frame
        self._supported_actions = supported_actions
        self._send_lock = threading.Lock()
        # OCPP-J allows one outstanding CALL per direction: our calls queue here.
        self._call_lock = threading.Lock()
        self._pending: dict[str, _PendingCall] = {}
        # Guards handing an answer to its waiting call against that call timing out.
        self._pending_lock = threading.Lock()
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, text: str) -> None:
        """Send one text frame; raises ConnectionLost when the socket is gone."""
        with self._send_lock:
            try:
                self.ws.send(text)
            except (ConnectionClosed, OSError) as error:
                raise ConnectionLost(str(error)) from error

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
                if self.closed:
                    raise ConnectionLost("socket closed")
                if record:
                    self._record_frame(
                        Direction.OUT, MessageType.Call, unique_id, action, payload, source
                    )
                self.send(call_frame(unique_id, action, payload))
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

    def serve(self, answer_call: CallAnswerer) -> None:
        """Read frames until the socket closes; each CALL is answered before the next is
        read, so one charger's messages are handled in the order it sent them."""
        try:
            while not self.closed:
                frame = self.ws.receive()
                if frame is None:
                    continue
                if isinstance(frame, bytes):
                    self._refuse_binary(frame)
                    break
                self._handle_text(frame, answer_call)
        except (ConnectionClosed, ConnectionLost):
            pass
        finally:
            self._closed.set()
            self._fail_pending(ConnectionLost("socket closed"))

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the socket now and wake the read loop (safe from any greenlet)."""
        if reason:
            self.close_reason = reason
        self._closed.set()
        with self._send_lock:
            try:
                self.ws.close(code, reason)
            except (ConnectionClosed, OSError):
                pass
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        # simple-websocket's receive() waits on this event; close() alone does not set it.
        self.ws.event.set()
        self._fail_pending(ConnectionLost(reason or "socket closed"))

    def _handle_text(self, text: str, answer_call: CallAnswerer) -> None:
        try:
            message = parse_frame(text, self._supported_actions)
        except BadFrame as bad:
            self._log_event("bad frame", bad.unique_id, None, bad.code)
            metrics.record_ocpp_message(None, bad.code.value)
            self._record_frame(
                Direction.IN, UNPARSED, bad.unique_id, None, _loggable(bad.parsed, text), "charger"
            )
            error = [bad.code.value, bad.description, bad.details]
            self._record_frame(
                Direction.OUT, MessageType.CallError, bad.unique_id, None, error, "charger"
            )
            self.send(error_frame(bad.unique_id, *error))
            return
        except IgnoredFrame as ignored:
            self._log_event(str(ignored), None, None, "ignored")
            self._record_frame(
                Direction.IN, UNPARSED, None, None, _loggable(ignored.parsed, text), "charger"
            )
            return
        if isinstance(message, IncomingCall):
            reply = answer_call(self, message)
            self.send(reply.frame)
        else:
            self._resolve(message)

    def _resolve(self, message: IncomingResult | IncomingError) -> None:
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
        self._log_event("answer to no pending call, ignored", message.unique_id, action, "ignored")

    @staticmethod
    def _settle(pending: _PendingCall, message: IncomingResult | IncomingError) -> None:
        if isinstance(message, IncomingResult):
            pending.outcome = CallResultMessage(message.unique_id, pending.action, message.payload)
        else:
            pending.outcome = CallErrorReceived(
                message.unique_id, message.code, message.description, message.details
            )
        pending.done.set()

    def _refuse_binary(self, frame: bytes) -> None:
        """OCPP-J frames are JSON text; a binary frame closes the socket with 1003."""
        self._log_event("binary frame, closing", None, None, "closed 1003")
        self._record_frame(
            Direction.IN, UNPARSED, None, None, {"binary_bytes": len(frame)}, "charger"
        )
        self.close(CLOSE_UNSUPPORTED_DATA, "OCPP-J frames must be text")

    def _fail_pending(self, error: CallFailed) -> None:
        with self._pending_lock:
            for pending in self._pending.values():
                if not pending.done.is_set():
                    pending.outcome = error
                    pending.done.set()

    def _log_event(self, event: str, unique_id, action, outcome) -> None:
        log.warning(
            "ocpp %s",
            event,
            extra={
                "charger_id": self.charger_name,
                "unique_id": unique_id,
                "action": action,
                "outcome": str(outcome),
            },
        )


def _loggable(parsed: Any, text: str) -> Any:
    """What goes into the message log for a broken frame: its JSON, else its text."""
    return parsed if parsed is not None else text
