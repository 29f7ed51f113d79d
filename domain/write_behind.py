"""Write-behind for bookkeeping a charger will not resend.

A Heartbeat's last-heartbeat time, the message-log rows of non-transactional frames and the
endings of sockets (`socket_events.SocketEnd`: Disconnected, its StatusLog row and its
SocketEvent) are not worth a commit before the answer or the next socket: the charger never
sends them again, and losing the last second of them in a crash loses nothing anyone acts on
(the crash ends that node's sockets; the heartbeat sweep marks their chargers Disconnected).
`Bookkeeping` is the port the socket path writes them to; `WriteBehind` is its adapter: a
bounded queue per worker, coalesced (one last-heartbeat time per charger) and written by one
writer thread (a greenlet under gevent) in one unit of work every `interval` seconds, as
batched statements. `close()` (graceful shutdown, atexit) writes what is left.

On a crash the rows queued since the last flush are lost: at most `interval` (<= 1 s) of
bookkeeping. A full queue drops new rows rather than grow without bound; `counted` hears
how many rows were queued (reported at each flush), written and dropped.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, case, insert, or_, update

from domain.db import Database
from domain.models import Charger, OcppMessage
from domain.services.socket_events import SocketEnd, record_socket_ends

log = logging.getLogger(__name__)

MAX_INTERVAL = 1.0  # the loss window on a crash, as documented
DEFAULT_CAPACITY = 100_000


class Bookkeeping(Protocol):
    """Where the socket path puts what it need not commit before answering."""

    def note_heartbeat(self, charger_name: str, at: datetime) -> None:
        """Charger `charger_name` was heard from (a Heartbeat) at `at`."""

    def log_frames(self, rows: list[dict[str, Any]]) -> None:
        """Message-log rows (`message_log.frame_row`) to be kept."""

    def note_socket_end(self, end: SocketEnd) -> None:
        """A charger's socket ended (`socket_events.record_socket_ends` writes it)."""


_CHARGERS = Charger.__table__


def _later_of(column):
    """`column`, or the noted time when that is later: never move a time backwards (a
    transactional message may have written a later one)."""
    at = bindparam("at")
    return case((or_(column.is_(None), column < at), at), else_=column)


_NOTE_HEARTBEATS = (
    update(_CHARGERS)
    .where(_CHARGERS.c.name == bindparam("charger_name"))
    .values(
        last_heartbeat=_later_of(_CHARGERS.c.last_heartbeat),
        last_communication=_later_of(_CHARGERS.c.last_communication),
    )
)


class WriteBehind:
    """The `Bookkeeping` adapter: queue in memory, write every `interval` seconds."""

    def __init__(
        self,
        database: Database,
        interval: float = MAX_INTERVAL,
        capacity: int = DEFAULT_CAPACITY,
        counted: Callable[[str, int], None] = lambda outcome, rows: None,
    ):
        if not 0 < interval <= MAX_INTERVAL:
            raise ValueError(f"interval must be in (0, {MAX_INTERVAL}] seconds, got {interval}")
        self.database = database
        self.interval = interval
        self.capacity = capacity
        self.counted = counted
        self._lock = threading.Lock()
        self._heartbeats: dict[str, datetime] = {}
        self._rows: list[dict[str, Any]] = []
        self._socket_ends: list[SocketEnd] = []
        self._queued = 0  # reported with the next flush: one metric update per flush
        self._flushing = threading.Lock()  # one flush at a time: the timer's or close()'s
        self._stopped = threading.Event()
        # The writer and the exit hook hold it weakly: a writer no longer used (an app in a
        # test) stops with it.
        this = weakref.ref(self)
        threading.Thread(
            target=_write_while_alive, args=(this, self._stopped), name="write-behind", daemon=True
        ).start()
        atexit.register(_close_if_alive, this)

    def note_heartbeat(self, charger_name: str, at: datetime) -> None:
        with self._lock:
            if charger_name in self._heartbeats:
                self._heartbeats[charger_name] = max(at, self._heartbeats[charger_name])
                return
            if not self._room_for(1):
                return
            self._heartbeats[charger_name] = at
            self._queued += 1

    def log_frames(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            if not self._room_for(len(rows)):
                return
            self._rows.extend(rows)
            self._queued += len(rows)

    def note_socket_end(self, end: SocketEnd) -> None:
        with self._lock:
            if not self._room_for(1):
                return
            self._socket_ends.append(end)
            self._queued += 1

    def pending(self) -> int:
        """Rows waiting for the next flush."""
        with self._lock:
            return self._held()

    def flush(self) -> None:
        """Write everything queued now, in one unit of work. A failure is logged and the
        rows are put back while there is room (the next flush tries again)."""
        with self._flushing:
            with self._lock:
                heartbeats, self._heartbeats = self._heartbeats, {}
                rows, self._rows = self._rows, []
                ends, self._socket_ends = self._socket_ends, []
                queued, self._queued = self._queued, 0
            if queued:
                self.counted("queued", queued)
            if not heartbeats and not rows and not ends:
                return
            try:
                with self.database.unit_of_work() as session:
                    if heartbeats:
                        session.execute(
                            _NOTE_HEARTBEATS,
                            [{"charger_name": n, "at": at} for n, at in heartbeats.items()],
                        )
                    if rows:
                        session.execute(insert(OcppMessage.__table__), rows)
                    record_socket_ends(session, ends)
            except Exception:  # noqa: BLE001 - bookkeeping must never stop the sockets
                log.exception(
                    "write-behind flush failed",
                    extra={"heartbeats": len(heartbeats), "rows": len(rows), "ends": len(ends)},
                )
                self._put_back(heartbeats, rows, ends)
                return
            self.counted("written", len(heartbeats) + len(rows) + len(ends))

    def close(self) -> None:
        """Stop the writer and write what is left (graceful shutdown; idempotent)."""
        self._stopped.set()
        self.flush()

    def _room_for(self, count: int) -> bool:
        """Called with `_lock` held; counts the rows dropped when there is no room."""
        if self._held() + count <= self.capacity:
            return True
        self.counted("dropped", count)
        return False

    def _held(self) -> int:
        return len(self._heartbeats) + len(self._rows) + len(self._socket_ends)

    def _put_back(
        self, heartbeats: dict[str, datetime], rows: list[dict[str, Any]], ends: list[SocketEnd]
    ) -> None:
        with self._lock:
            for name, at in heartbeats.items():
                if name not in self._heartbeats and self._room_for(1):
                    self._heartbeats[name] = at
            # Endings first: a charger's status matters more than a logged frame.
            for queue, put_back in ((self._socket_ends, ends), (self._rows, rows)):
                room = max(0, self.capacity - self._held())
                if len(put_back) > room:
                    self.counted("dropped", len(put_back) - room)
                queue[:0] = put_back[:room]


def _write_while_alive(writer_ref: weakref.ref, stopped: threading.Event) -> None:
    while True:
        writer = writer_ref()
        if writer is None:
            return
        interval = writer.interval
        del writer
        if stopped.wait(interval):
            return
        writer = writer_ref()
        if writer is None:
            return
        writer.flush()
        del writer


def _close_if_alive(writer_ref: weakref.ref) -> None:
    writer = writer_ref()
    if writer is not None:
        writer.close()
