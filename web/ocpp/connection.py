"""One object per live charger socket: sending and the read loop; its calls to the charger
are in web/ocpp/outgoing.py.

Threading primitives are the standard library's; under gunicorn's gevent worker they are
monkey-patched, so waiting for a charger's answer parks a greenlet, not a thread.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ocpp.messages import MessageType
from simple_websocket import ConnectionClosed
from wsproto.events import Ping
from wsproto.frame_protocol import CloseReason

from domain.models import Direction
from domain.services.charger_snapshots import ChargerSnapshot
from web import metrics
from web.ocpp.framing import (
    UNPARSED,
    BadFrame,
    IgnoredFrame,
    IncomingCall,
    error_frame,
    parse_frame,
)
from web.ocpp.outgoing import (
    CallResultMessage,
    ConnectionLost,
    FrameRecorder,
    OutgoingCalls,
)

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_INTERNAL_ERROR = 1011


@dataclass(frozen=True)
class Reply:
    """The frame answering a CALL."""

    frame: str
    after_send: Callable[[], None] | None = None


# Handles one CALL from the charger and returns the reply.
CallAnswerer = Callable[["ChargerConnection", IncomingCall], Reply]


class _SendAll:
    """simple-websocket writes with `sock.send`, which under gevent may write part of a
    large frame; make writes whole and route everything else to the socket."""

    __slots__ = ("_sock",)

    def __init__(self, sock):
        self._sock = sock

    def send(self, data: bytes) -> int:
        # One send() takes a small frame whole; sendall() only for what it left (it asks
        # the socket's buffer size, a system call, and reads the clock on every call).
        sent = self._sock.send(data)
        if sent < len(data):
            self._sock.sendall(memoryview(data)[sent:])
        return len(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class ChargerConnection:
    # One per live socket, tens of thousands per worker: slots instead of a __dict__, and
    # the outgoing-call table made with the first call to the charger (most sockets never
    # get one). See `bench.idle`.
    __slots__ = (
        "ws",
        "charger_name",
        "close_reason",
        "snapshot",
        "snapshot_lock",
        "other_conf_sent",
        "_record_frame",
        "_supported_actions",
        "_send_lock",
        "_closed",
        "_outgoing",
        "__weakref__",  # the relay remembers connections weakly
    )

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
        # What the socket keeps about its charger (web/ocpp/handlers.py takes it); None: its
        # calls look the charger up.
        self.snapshot: ChargerSnapshot | None = None
        self.snapshot_lock = threading.Lock()
        # Whether an answer other than CallConfSent.ALWAYS_PUBLISHED's was announced (the
        # call pipeline announces only the first: domain/events.py).
        self.other_conf_sent = False
        self._record_frame = record_frame
        self._supported_actions = supported_actions
        self._send_lock = threading.Lock()
        self._closed = False
        self._outgoing: OutgoingCalls | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def call(self, *args, **kwargs) -> CallResultMessage:
        """Send a CALL to the charger and wait for its answer (`OutgoingCalls.call`)."""
        return self._outgoing_calls().call(*args, **kwargs)

    def _outgoing_calls(self) -> OutgoingCalls:
        # Made once, under a lock: two first calls from threads (embedded) share one table.
        with self._send_lock:
            if self._outgoing is None:
                self._outgoing = OutgoingCalls(
                    self.charger_name, self.send, lambda: self._closed, self._record_frame
                )
            return self._outgoing

    def send(self, text: str) -> None:
        """Send one text frame; raises ConnectionLost when the socket is gone."""
        with self._send_lock:
            try:
                self.ws.send(text)
            except (ConnectionClosed, OSError) as error:
                raise ConnectionLost(str(error)) from error

    def serve(self, answer_call: CallAnswerer) -> None:
        """Read frames until the socket closes; each CALL is answered before the next is
        read, so one charger's messages are handled in the order it sent them. Nothing a
        charger sends raises out of here: a failure no CALLERROR covers closes the socket
        with 1011 (an exception reaching Flask would write an HTTP 500 into the socket)."""
        try:
            while not self.closed:
                frame = self.ws.receive()
                if frame is None:
                    continue
                text = self._as_text(frame)
                if text is None:
                    break
                self._handle_text(text, answer_call)
        except (ConnectionClosed, ConnectionLost):
            pass
        except Exception:  # noqa: BLE001 - see the docstring
            log.exception("ocpp read loop failed", extra={"charger_id": self.charger_name})
            self.close(CLOSE_INTERNAL_ERROR, "internal error")
        finally:
            self._closed = True
            self._fail_pending(ConnectionLost("socket closed"))

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the socket now and wake the read loop (safe from any greenlet)."""
        if reason:
            self.close_reason = reason
        self._closed = True
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

    def keep_alive(self) -> None:
        """Ping the charger (the node's keep-alive loop calls this every OCPP_PING_INTERVAL
        seconds). A socket whose previous ping got no pong is closed as simple-websocket's
        own ping closes it: 1008 "Ping/Pong timeout", not a close of ours, so its ending
        reads as a dropped socket. Its pong sets `pong_received` in simple-websocket's
        reader."""
        ws = self.ws
        with self._send_lock:
            try:
                if ws.pong_received:
                    ws.pong_received = False
                    ws.sock.send(ws.ws.send(Ping()))
                    return
                ws.close(CloseReason.POLICY_VIOLATION, "Ping/Pong timeout")
                ws.sock.shutdown(socket.SHUT_RDWR)  # ends simple-websocket's reader
            except (ConnectionClosed, OSError):
                pass
        ws.event.set()  # wakes the read loop, which finds the socket closed

    def _fail_pending(self, error: ConnectionLost) -> None:
        if self._outgoing is not None:
            self._outgoing.fail_pending(error)

    def _handle_text(self, text: str, answer_call: CallAnswerer) -> None:
        try:
            message = parse_frame(text, self._supported_actions)
        except BadFrame as bad:
            self._log_event("bad frame", bad.unique_id, None, bad.code)
            metrics.record_ocpp_message(None, bad.code.value)
            logged_id = str(bad.unique_id)
            self._record_frame(
                Direction.IN, UNPARSED, logged_id, None, _loggable(bad.parsed, text), "charger"
            )
            error = [bad.code.value, bad.description, bad.details]
            self._record_frame(
                Direction.OUT, MessageType.CallError, logged_id, None, error, "charger"
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
            if reply.after_send is not None:
                reply.after_send()
        else:
            self._outgoing_calls().resolve(message)

    def _as_text(self, frame: str | bytes) -> str | None:
        """The frame as text. OCPP-J messages are UTF-8 JSON: a binary frame holding UTF-8 is
        read as text (some firmware sends binary frames); one that is not UTF-8 closes the
        socket with 1007 (RFC 6455: data inconsistent with the message type). None then."""
        if isinstance(frame, str):
            return frame
        try:
            return frame.decode("utf-8")
        except UnicodeDecodeError:
            self._log_event("binary frame not UTF-8, closing", None, None, "closed 1007")
            self._record_frame(
                Direction.IN, UNPARSED, None, None, {"binary_bytes": len(frame)}, "charger"
            )
            self.close(CLOSE_INVALID_PAYLOAD, "OCPP-J frames must be UTF-8 JSON")
            return None

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
