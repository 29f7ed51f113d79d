"""Command relay: REST -> the node holding the charger's socket -> one recorded outcome.

A command is a row first; an envelope then goes over Redis pub/sub (or in-process when
embedded) to the node named by the presence registry; that node sends the CALL with the
command id as unique id, records the outcome and pushes it to the waiting request.
`init_relay` wires one `Relay` per app; `relay()` returns it; `announce()` publishes a
dashboard event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from domain.settings import Settings
from web.extensions import database, settings
from web.ocpp import ocpp_node
from web.relay.events import EventType, SocketEvents, event
from web.relay.local_transport import InProcessTransport
from web.relay.node import NodeRelay
from web.relay.outcomes import Outcomes
from web.relay.redis_transport import RedisTransport
from web.relay.sender import CommandRequest, CommandSender
from web.relay.transport import RelayTransport

RELAY_KEY = "voltline.relay"

__all__ = ["CommandRequest", "EventType", "Relay", "announce", "init_relay", "relay"]


@dataclass(frozen=True)
class Relay:
    transport: RelayTransport
    node: NodeRelay
    sender: CommandSender


def build_transport(settings: Settings) -> RelayTransport:
    """Redis when REDIS_URL is set, else the in-process twin."""
    if settings.redis_url is None:
        return InProcessTransport()
    return RedisTransport(settings.redis_url)


def init_relay(app: Flask) -> Relay:
    """Build this app's relay on top of its charger sockets (`init_ocpp` first) and hook the
    sockets' events up to the dashboard stream. Nothing runs until first use: the node
    subscribes and starts its sweep when its first charger connects or command is sent."""
    config, db, sockets = settings(app), database(app), ocpp_node(app)
    transport = build_transport(config)
    outcomes = Outcomes(db, transport)
    node = NodeRelay(config, db, transport, sockets.connections, outcomes)
    sender = CommandSender(config, db, sockets.presence, transport, outcomes, node)
    socket_events = SocketEvents(transport)
    sockets.connections.on_open.append(socket_events.connected)
    sockets.connections.on_close.append(socket_events.disconnected)
    sockets.handler.on_answered.append(socket_events.answered)
    sockets.handler.on_commands_queued.append(node.offer_queued)
    app.extensions[RELAY_KEY] = Relay(transport, node, sender)
    return app.extensions[RELAY_KEY]


def relay(app: Flask | None = None) -> Relay:
    return (app or current_app).extensions[RELAY_KEY]


def announce(event_type: EventType, charger_id: str, **fields: Any) -> None:
    """Publish a dashboard event (after the commit it describes); never raises for Redis."""
    relay().transport.publish_event(event(event_type, charger_id, **fields))
