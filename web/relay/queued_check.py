"""Looking for the queued commands of chargers just accepted on their sockets, many at once.

Every accepted BootNotification (and a reconnected charger's first message) asks whether
commands wait for its charger, and nearly always none do. In a reconnect storm thousands ask
each second, each in a unit of work of its own, contending for the database pool. Here one
greenlet takes every socket that asked since its last look, looks for all of their chargers
in one query, and hands each socket whose charger has commands waiting to `send`, in a
greenlet of its own (the socket's read loop must go on reading their answers).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from domain.db import Database
from domain.models import Command
from domain.services.commands import get_command, queued_commands_of
from web.ocpp.connection import ChargerConnection

log = logging.getLogger(__name__)

# Sends a socket's queued commands, oldest first.
QueuedSender = Callable[[ChargerConnection, list[Command]], object]


class QueuedCommandCheck:
    def __init__(self, database: Database, send: QueuedSender):
        self._database = database
        self._send = send
        self._lock = threading.Lock()
        self._asked: list[ChargerConnection] = []
        self._wake = threading.Event()
        self._checker: threading.Thread | None = None

    def offer(self, connection: ChargerConnection) -> None:
        """Look for the queued commands of `connection`'s charger soon; returns at once."""
        with self._lock:
            self._asked.append(connection)
            if self._checker is None:
                self._checker = threading.Thread(
                    target=self._check_forever, name="queued-commands", daemon=True
                )
                self._checker.start()
        self._wake.set()

    def _check_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()  # before taking the list: a later offer wakes the next round
            with self._lock:
                asked, self._asked = self._asked, []
            try:
                self.check(asked)
            except Exception:  # noqa: BLE001 - the next offers are still looked for
                log.exception("queued commands not looked for", extra={"sockets": len(asked)})

    def check(self, asked: list[ChargerConnection]) -> None:
        """Look for the queued commands of the chargers of `asked` (one query) and start
        sending them on the sockets that are still open."""
        names = {connection.charger_name for connection in asked if not connection.closed}
        if not names:
            return
        with self._database.unit_of_work() as session:
            waiting = {
                name: [get_command(session, command_id) for command_id in ids]
                for name, ids in queued_commands_of(session, names).items()
            }
        for connection in asked:
            commands = waiting.get(connection.charger_name)
            if commands and not connection.closed:
                threading.Thread(
                    target=self._send, args=(connection, commands), daemon=True
                ).start()
