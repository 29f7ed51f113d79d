"""This node's charger sockets: open and close bookkeeping, presence, and serving; a socket
opening or closing is published as ChargerConnected / ChargerDisconnected."""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

from wsproto.frame_protocol import CloseReason

from adapters.presence import Presence
from adapters.presence_releases import BatchedReleases
from domain.boot_storm import BootStormGuard
from domain.clock import utcnow
from domain.db import Database
from domain.events import ChargerConnected, ChargerDisconnected, EventBus
from domain.group_commit import committer_for
from domain.models import SocketEventKind
from domain.services.charger_calls import CHARGER_ACTIONS
from domain.services.charger_snapshots import ChargerSnapshot, stale_snapshots, take_snapshot
from domain.services.message_log_partitions import ensure_message_log_partitions
from domain.services.socket_events import SocketEnd, socket_opened
from domain.settings import Settings
from domain.write_behind import WriteBehind
from web import metrics
from web.ocpp.connection import CLOSE_INTERNAL_ERROR, ChargerConnection
from web.ocpp.connection_map import ConnectionMap
from web.ocpp.handlers import CallHandler

log = logging.getLogger(__name__)

REPLACED = "replaced by a newer connection of the same charger"


class OcppNode:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        presence: Presence,
        events: EventBus,
    ):
        self.settings = settings
        self.database = database
        self.presence = presence
        self.events = events
        self.connections = ConnectionMap()
        self.releases = BatchedReleases(presence, self._live_here)
        self.bookkeeping = WriteBehind(
            database, counted=metrics.record_write_behind, ends_written=self._announce_ends
        )
        self.handler = CallHandler(
            database,
            settings,
            # BOOT_RATE_PER_SECOND is the node's ceiling, shared by its workers.
            BootStormGuard(settings.boot_rate_per_second / settings.web_workers),
            events,
            bookkeeping=self.bookkeeping,
            committer=committer_for(database),
        )
        self._refresher_lock = threading.Lock()
        self._refresher: threading.Thread | None = None
        # WebSocket pings, from one loop for all sockets (see ChargerConnection.keep_alive).
        self.ping_interval = settings.ocpp_ping_interval

    def ensure_message_log_partitions(self) -> None:
        """Day partitions of the message log from today on (PostgreSQL, at start-up); a
        failure is logged: rows then land in the DEFAULT partition, nothing is lost."""
        try:
            with self.database.unit_of_work() as session:
                ensure_message_log_partitions(session, utcnow().date())
        except Exception:  # noqa: BLE001 - the retention job tries again
            log.exception("message log partitions not created")

    def serve(self, ws, charger_name: str, snapshot: ChargerSnapshot | None = None) -> None:
        """Run one charger's socket until it closes; `snapshot` is its charger as the
        handshake read it (None: read when the socket opens)."""
        connection = ChargerConnection(
            ws,
            charger_name,
            record_frame=partial(self.handler.frame_log.record_frame, charger_name),
            supported_actions=CHARGER_ACTIONS,
        )
        connection.snapshot = snapshot
        metrics.charger_socket_opened()
        try:
            self._opened(connection)
            connection.serve(self.handler.answer)
        except Exception:  # noqa: BLE001 - reaching Flask would write an HTTP 500 into the socket
            log.exception("charger socket failed", extra={"charger_id": charger_name})
            connection.close(CLOSE_INTERNAL_ERROR, "internal error")
        finally:
            metrics.charger_socket_closed()
            self._closed(connection)

    def _opened(self, connection: ChargerConnection) -> None:
        name = connection.charger_name
        previous = self.connections.register(connection)
        if previous is not None:
            previous.close(reason=REPLACED)
        self._presence_call("claim", name)
        now = utcnow()
        with connection.snapshot_lock, self.database.unit_of_work() as session:
            connection.snapshot = self._opened_in(session, connection.snapshot, name, now)
        log.info("charger connected", extra={"charger_id": name, "outcome": "connected"})
        self._start_refresher()
        self.events.publish([ChargerConnected(name)])

    def _opened_in(
        self, session, snapshot: ChargerSnapshot | None, name: str, now
    ) -> ChargerSnapshot | None:
        """Mark the charger Connected; returns its snapshot as stored now: the handshake's
        unless an operator changed (or deleted) the charger since, which the socket, not
        yet registered then, would not have heard through the relay."""
        node_id = self.settings.node_id
        stored = None if snapshot is None else socket_opened(session, snapshot.id, now, node_id)
        if stored is not None and stored == (snapshot.registration_status, snapshot.id_tag):
            return snapshot
        snapshot = take_snapshot(session, name)
        if snapshot is not None and stored is None:
            socket_opened(session, snapshot.id, now, node_id)
        return snapshot

    def _live_here(self, charger_name: str) -> bool:
        """A socket of this charger is open on this node (its claim is to stay)."""
        connection = self.connections.get(charger_name)
        return connection is not None and not connection.closed

    def refresh_snapshot(self, charger_name: str) -> bool:
        """Take the snapshot of charger `charger_name` again if this node holds its socket
        (an operator changed or deleted it); False when it does not."""
        connection = self.connections.get(charger_name)
        if connection is None or connection.closed:
            return False
        self.handler.refresh_snapshot(connection)
        return True

    def _closed(self, connection: ChargerConnection) -> None:
        name = connection.charger_name
        if not self.connections.unregister(connection):
            log.info("replaced socket closed", extra={"charger_id": name, "outcome": "replaced"})
            self._socket_ended(name, SocketEventKind.REPLACED)
            return  # a newer socket of this charger owns its state now
        ended = partial(
            self._released, name, _close_kind(connection), _close_reason(connection), utcnow()
        )
        self.releases.release(name, ended)

    def _released(
        self, name: str, kind: SocketEventKind, reason: str, at, released: bool | None
    ) -> None:
        """The rest of a socket's close, once its presence release is answered."""
        if not released:
            owner = self._presence_call("node_of", name)
            if owner not in (None, self.settings.node_id):
                log.info(
                    "socket closed; charger now on another node",
                    extra={"charger_id": name, "outcome": "moved", "node": owner},
                )
                return
        self._socket_ended(name, kind, reason, at)
        log.info(
            "charger disconnected",
            extra={"charger_id": name, "outcome": "disconnected", "reason": reason},
        )

    def _announce_ends(self, ends: list[SocketEnd]) -> None:
        """ChargerDisconnected for each ending that left its charger Disconnected, once it is
        written (a dashboard reading the charger on the event finds it Disconnected)."""
        disconnected = [
            ChargerDisconnected(end.charger_name, end.reason) for end in ends if end.reason
        ]
        if disconnected:
            self.events.publish(disconnected)

    def _socket_ended(
        self, name: str, kind: SocketEventKind, reason: str | None = None, at=None
    ) -> None:
        """Written behind (see `domain.services.socket_events`); with `reason` the charger
        is left Disconnected."""
        metrics.record_socket_end(kind)
        self.bookkeeping.note_socket_end(SocketEnd(name, kind, at or utcnow(), reason))

    def _presence_call(self, method: str, name: str):
        """Presence is best effort: Redis trouble must not refuse or drop chargers."""
        try:
            return getattr(self.presence, method)(name)
        except Exception:  # noqa: BLE001
            log.exception("presence %s failed", method, extra={"charger_id": name})
            return None

    def _start_refresher(self) -> None:
        """Start the presence refresher and the keep-alive loop with the first socket."""
        with self._refresher_lock:
            if self._refresher is None:
                self._refresher = threading.Thread(
                    target=self._refresh_forever, name="presence-refresh", daemon=True
                )
                self._refresher.start()
                if self.ping_interval:
                    threading.Thread(
                        target=self._keep_alive_forever, name="ocpp-ping", daemon=True
                    ).start()

    def _keep_alive_forever(self) -> None:
        while True:
            time.sleep(self.ping_interval)
            for name in self.connections.names():
                connection = self.connections.get(name)
                if connection is None or connection.closed:
                    continue
                try:
                    connection.keep_alive()
                except Exception:  # noqa: BLE001 - the other sockets still need their pings
                    log.exception("ping failed", extra={"charger_id": name})

    def _refresh_forever(self) -> None:
        period = max(1.0, self.settings.presence_ttl / 3)
        while True:
            time.sleep(period)
            try:
                self.presence.refresh_many(self.connections.names())
            except Exception:  # noqa: BLE001 - try again next period
                log.exception("presence refresh failed")
            self.refresh_stale_snapshots()

    def refresh_stale_snapshots(self) -> list[str]:
        """Take again the snapshots that no longer match their rows (a lost relay message
        about an operator's change); returns their chargers' names."""
        connections = [self.connections.get(name) for name in self.connections.names()]
        snapshots = [c.snapshot for c in connections if c is not None and c.snapshot is not None]
        try:
            with self.database.unit_of_work() as session:
                stale = stale_snapshots(session, snapshots)
        except Exception:  # noqa: BLE001 - try again next period
            log.exception("snapshot check failed")
            return []
        for name in stale:
            self.refresh_snapshot(name)
        return stale


def _close_reason(connection: ChargerConnection) -> str:
    if connection.close_reason:
        return connection.close_reason
    code = connection.ws.close_reason
    if code and code != CloseReason.NO_STATUS_RCVD:
        return f"closed by the charger (code {int(code)})"
    return "socket closed"


def _close_kind(connection: ChargerConnection) -> SocketEventKind:
    """Closed with a close frame (by the charger, or by us with a reason), else dropped."""
    code = connection.ws.close_reason
    if connection.close_reason or (code and code != CloseReason.NO_STATUS_RCVD):
        return SocketEventKind.CLOSED
    return SocketEventKind.DROPPED
