"""Which live socket on this node belongs to which charger."""

from __future__ import annotations

import threading

from web.ocpp.connection import ChargerConnection


class ConnectionMap:
    """This node's live sockets by charger name; a newer socket replaces an older one."""

    def __init__(self):
        self._connections: dict[str, ChargerConnection] = {}
        self._lock = threading.Lock()

    def register(self, connection: ChargerConnection) -> ChargerConnection | None:
        """Make `connection` the charger's socket; returns the one it replaces."""
        with self._lock:
            previous = self._connections.get(connection.charger_name)
            self._connections[connection.charger_name] = connection
        return previous

    def unregister(self, connection: ChargerConnection) -> bool:
        """Forget `connection`; False when a newer socket had already replaced it."""
        with self._lock:
            if self._connections.get(connection.charger_name) is not connection:
                return False
            del self._connections[connection.charger_name]
            return True

    def get(self, charger_name: str) -> ChargerConnection | None:
        with self._lock:
            return self._connections.get(charger_name)

    def names(self) -> list[str]:
        with self._lock:
            return list(self._connections)

    def __len__(self) -> int:
        return len(self._connections)
