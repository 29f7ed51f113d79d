"""The charger-facing OCPP 1.6J socket: `init_ocpp(app)` wires it into the app."""

from __future__ import annotations

from flask import Flask, current_app

from web.extensions import database, settings
from web.ocpp.node import OcppNode
from web.ocpp.routes import NODE_KEY, blueprint


def init_ocpp(app: Flask) -> OcppNode:
    """Register the socket routes and this node's OcppNode (`app.extensions[NODE_KEY]`)."""
    config = settings(app)
    node = OcppNode(config, database(app))
    node.ensure_message_log_partitions()
    app.extensions[NODE_KEY] = node
    app.config["SOCK_SERVER_OPTIONS"] = {
        "subprotocols": ["ocpp1.6"],
        "ping_interval": config.ocpp_ping_interval or None,
        "max_message_size": config.ocpp_max_message_bytes,
    }
    app.register_blueprint(blueprint)
    return node


def ocpp_node(app: Flask | None = None) -> OcppNode:
    """This node's sockets: `.connections` (ConnectionMap), `.presence`, `.handler`."""
    return (app or current_app).extensions[NODE_KEY]


def close_ocpp(app: Flask) -> None:
    """Graceful shutdown of this node's sockets' side: write what its write-behind holds."""
    ocpp_node(app).bookkeeping.close()
