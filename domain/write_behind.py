"""Write-behind for bookkeeping a charger will not resend.

A Heartbeat's last-heartbeat time, the last-communication time of every message answered
from a socket's snapshot, the message-log rows of non-transactional frames and the endings of
sockets (`socket_events.SocketEnd`: Disconnected, its StatusLog row and its SocketEvent) are
not worth a commit before the answer or the next socket: the charger never sends them again,
and losing the last second of them in a crash loses nothing anyone acts on (the crash ends
that node's sockets; the heartbeat sweep marks their chargers Disconnected). `Bookkeeping` is
the port the socket path writes them to; `WriteBehind` is its adapter: a bounded queue per
worker, coalesced (one last-heartbeat and one last-communication time per charger) and
written by one writer thread (a greenlet under gevent) in one unit of work every `interval`
seconds, as batched statements. `close()` (graceful shutdown, atexit) writes what is left.

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

from sqlalchemy import ARRAY, String, bindparam, case, func, or_, update
from sqlalchemy.orm import Session

from domain.db import Database
from domain.models import Charger
from domain.models.base import UTCDateTime
from domain.services.message_log import insert_frames_in_bulk
from domain.services.socket_events import SocketEnd, record_socket_ends

log = logging.getLogger(__name__)

MAX_INTERVAL = 1.0  # the loss window on a crash, as documented
DEFAULT_CAPACITY = 100_000


class Bookkeeping(Protocol):
    """Where the socket path puts what it need not commit before answering."""

    def note_heartbeat(self, charger_name: str, at: datetime) -> None:
        """Charger `charger_name` was heard from (a Heartbeat) at `at`."""

    def note_communication(self, charger_name: str, at: datetime) -> None:
        """Charger `charger_name` was heard from (any message) at `at`."""

    def note_socket_end(self, end: SocketEnd) -> None:
        """A charger's socket ended (`socket_events.record_socket_ends` writes it)."""

    def log_frames(self, rows: list[dict[str, Any]]) -> None:
        """Message-log rows (`message_log.frame_row`) to be kept."""


_CHARGERS = Charger.__table__


def _later_of(column, at):
    """`column`, or the noted time `at` when that is later: never move a time backwards (a
    transactional message may have written a later one)."""
    return case((or_(column.is_(None), column < at), at), else_=column)


def _noting(where, at, heartbeat: bool):
    """Last communication (and, for a Heartbeat, last heartbeat) at `at`, never backwards."""
    values = {"last_communication": _later_of(_CHARGERS.c.last_communication, at)}
    if heartbeat:
        values["last_heartbeat"] = _later_of(_CHARGERS.c.last_heartbeat, at)
    return update(_CHARGERS).where(where).values(**values)


# One row of parameters per charger (executemany: a round trip each on psycopg2).
_NOTE = {
    heartbeat: _noting(_CHARGERS.c.name == bindparam("charger_name"), bindparam("at"), heartbeat)
    for heartbeat in (True, False)
}
# PostgreSQL: every charger in one statement, their names and times as two arrays.
_NOTED = (
    func.unnest(
        bindparam("names", type_=ARRAY(String)), bindparam("times", type_=ARRAY(UTCDateTime))
    )
    .table_valued("name", "at")
    .render_derived()
)
_NOTE_AT_ONCE = {
    heartbeat: _noting(_CHARGERS.c.name == _NOTED.c.name, _NOTED.c.at, heartbeat)
    for heartbeat in (True, False)
}


def _note_times(session: Session, times: dict[str, datetime], heartbeat: bool) -> None:
    """Each charger's noted time as its last communication (and last heartbeat)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        arrays = {"names": list(times), "times": list(times.values())}
        connection.execute(_NOTE_AT_ONCE[heartbeat], arrays)
    else:
        rows = [{"charger_name": name, "at": at} for name, at in times.items()]
        connection.execute(_NOTE[heartbeat], rows)


class WriteBehind:
    """The `Bookkeeping` adapter: queue in memory, write every `interval` seconds."""

    def __init__(
        self,
        database: Database,
        interval: float = MAX_INTERVAL,
        capacity: int = DEFAULT_CAPACITY,
        counted: Callable[[str, int], None] = lambda outcome, rows: None,
        ends_written: Callable[[list[SocketEnd]], None] = lambda ends: None,
    ):
        if not 0 < interval <= MAX_INTERVAL:
            raise ValueError(f"interval must be in (0, {MAX_INTERVAL}] seconds, got {interval}")
        self.database = database
        self.interval = interval
        self.capacity = capacity
        self.counted = counted
        # Told of the socket endings a flush has written (so that what is announced about
        # them is what a reader finds); never raises into the writer.
        self.ends_written = ends_written
        self._lock = threading.Lock()
        self._heartbeats: dict[str, datetime] = {}
        self._communications: dict[str, datetime] = {}
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
        self._note(self._heartbeats, charger_name, at)

    def note_communication(self, charger_name: str, at: datetime) -> None:
        self._note(self._communications, charger_name, at)

    def _note(self, times: dict[str, datetime], charger_name: str, at: datetime) -> None:
        with self._lock:
            if charger_name in times:
                times[charger_name] = max(at, times[charger_name])
                return
            if not self._room_for(1):
                return
            times[charger_name] = at
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
            return self._pending_locked()

    def _pending_locked(self) -> int:
        held = (self._heartbeats, self._communications, self._rows, self._socket_ends)
        return sum(map(len, held))

    def flush(self) -> None:
        """Write everything queued now, in one unit of work. A failure is logged and the
        rows are put back while there is room (the next flush tries again)."""
        with self._flushing:
            with self._lock:
                heartbeats, self._heartbeats = self._heartbeats, {}
                heard, self._communications = self._communications, {}
                rows, self._rows = self._rows, []
                ends, self._socket_ends = self._socket_ends, []
                queued, self._queued = self._queued, 0
            if queued:
                self.counted("queued", queued)
            if not heartbeats and not heard and not rows and not ends:
                return
            try:
                with self.database.unit_of_work() as session:
                    if heartbeats:
                        _note_times(session, heartbeats, heartbeat=True)
                    if heard:
                        _note_times(session, heard, heartbeat=False)
                    insert_frames_in_bulk(session, rows)
                    record_socket_ends(session, ends)
            except Exception:  # noqa: BLE001 - bookkeeping must never stop the sockets
                log.exception(
                    "write-behind flush failed",
                    extra={"heartbeats": len(heartbeats), "rows": len(rows), "ends": len(ends)},
                )
                self._put_back(heartbeats, heard, rows, ends)
                return
            self.counted("written", len(heartbeats) + len(heard) + len(rows) + len(ends))
            if ends:
                self._announce(ends)

    def _announce(self, ends: list[SocketEnd]) -> None:
        try:
            self.ends_written(ends)
        except Exception:  # noqa: BLE001 - what is written stays written
            log.exception("written socket endings not announced", extra={"ends": len(ends)})

    def close(self) -> None:
        """Stop the writer and write what is left (graceful shutdown; idempotent)."""
        self._stopped.set()
        self.flush()

    def _room_for(self, count: int) -> bool:
        """Called with `_lock` held; counts the rows dropped when there is no room."""
        if self._pending_locked() + count <= self.capacity:
            return True
        self.counted("dropped", count)
        return False

    def _put_back(
        self,
        heartbeats: dict[str, datetime],
        heard: dict[str, datetime],
        rows: list[dict[str, Any]],
        ends: list[SocketEnd],
    ) -> None:
        with self._lock:
            for kept, times in ((self._heartbeats, heartbeats), (self._communications, heard)):
                for name, at in times.items():
                    if name not in kept and self._room_for(1):
                        kept[name] = at
            # Endings first: a charger's status matters more than a logged frame.
            for queue, put_back in ((self._socket_ends, ends), (self._rows, rows)):
                room = max(0, self.capacity - self._pending_locked())
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
