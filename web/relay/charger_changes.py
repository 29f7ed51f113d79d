"""An operator's change to a charger reaches the socket holding its snapshot
(domain/services/charger_snapshots.py), on whichever node holds it: directly when it is
this one, else as a CHARGER_CHANGED envelope to the node the presence registry names."""

from __future__ import annotations

import logging
from collections.abc import Callable

from adapters.presence import Presence
from adapters.relay.transport import Envelope, RelayTransport
from domain.events import ChargerChanged

log = logging.getLogger(__name__)


class ChargerChanges:
    def __init__(
        self,
        node_id: str,
        presence: Presence,
        transport: RelayTransport,
        refresh_here: Callable[[str], bool],
    ):
        self._node_id = node_id
        self._presence = presence
        self._transport = transport
        self._refresh_here = refresh_here

    def changed(self, event: ChargerChanged) -> None:
        """Have the charger's socket take its snapshot again (published after the commit).
        A relay failure is logged: the change itself stands, and the socket takes its
        snapshot again when it next boots or reconnects."""
        name = event.charger_name
        if self._refresh_here(name):
            return
        try:
            owner = self._presence.node_of(name)
            if owner is not None and owner != self._node_id:
                self._transport.publish(owner, Envelope.charger_changed(name))
        except Exception:  # noqa: BLE001 - see the docstring
            log.exception("charger change not relayed", extra={"charger_id": name})
