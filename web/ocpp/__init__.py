"""The charger-facing OCPP 1.6J socket: `init_ocpp(app)` wires it into the app."""

from __future__ import annotations

from flask import Flask, current_app

from adapters.presence import Presence
from domain.events import EventBus
from web.extensions import database, settings
from web.ocpp.routes import NODE_KEY, blueprint
from web.ocpp.sockets import OcppNode


def init_ocpp(app: Flask, presence: Presence, events: EventBus) -> OcppNode:
    """Register the socket routes and this node's OcppNode (`app.extensions[NODE_KEY]`),
    which publishes what its sockets do on `events`."""
    config = settings(app)
    node = OcppNode(config, database(app), presence, events)
    node.ensure_message_log_partitions()
    app.extensions[NODE_KEY] = node
    app.config["SOCK_SERVER_OPTIONS"] = {
        "subprotocols": ["ocpp1.6"],
        # The node pings all its sockets from one loop (OCPP_PING_INTERVAL): simple-websocket's
        # own pings would give every socket's reader a selector of its own (memory per socket).
        "ping_interval": None,
        "max_message_size": config.ocpp_max_message_bytes,
    }
    app.register_blueprint(blueprint)
    return node


def ocpp_node(app: Flask | None = None) -> OcppNode:
    """This node's sockets: `.connections` (ConnectionMap), `.presence`, `.handler`."""
    return (app or current_app).extensions[NODE_KEY]


def close_ocpp(app: Flask) -> None:
    """Graceful shutdown of this node's sockets' side: commit the units of work waiting for
    a group commit, then write what its write-behind holds."""
    node = ocpp_node(app)
    node.handler.committer.close()
    node.bookkeeping.close()
