"""Command relay: REST -> the node holding the charger's socket -> one recorded outcome.

A command is a row first; an envelope then goes over Redis pub/sub (or in-process when
embedded) to the node named by the presence registry; that node sends the CALL with the
command id as unique id, records the outcome and pushes it to the waiting request.
`init_relay` wires one `Relay` per app and subscribes the dashboards' event stream to the
domain events; `relay()` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from adapters.relay import RelayTransport, build_transport
from domain.events import CallConfSent, ChargerChanged, ChargerConnected, EventBus
from web.extensions import database, settings
from web.ocpp import ocpp_node
from web.relay.charger_changes import ChargerChanges
from web.relay.delivery import NodeRelay
from web.relay.events import EventStream, EventType
from web.relay.outcomes import Outcomes
from web.relay.sender import CommandRequest, CommandSender

RELAY_KEY = "voltline.relay"

__all__ = ["CommandRequest", "EventType", "Relay", "init_relay", "relay"]


@dataclass(frozen=True)
class Relay:
    transport: RelayTransport
    node: NodeRelay
    sender: CommandSender


def init_relay(app: Flask, events: EventBus) -> Relay:
    """Build this app's relay on top of its charger sockets (`init_ocpp` first) and subscribe
    it and the dashboard stream to `events`. Nothing runs until first use: the node
    subscribes and starts its sweep when its first charger connects or command is sent."""
    config, db, sockets = settings(app), database(app), ocpp_node(app)
    transport = build_transport(config)
    outcomes = Outcomes(db, transport)
    node = NodeRelay(config, db, transport, sockets.connections, outcomes, sockets.refresh_snapshot)
    sender = CommandSender(config, db, sockets.presence, transport, outcomes, node)
    events.subscribe(ChargerConnected, node.charger_connected)
    events.subscribe(CallConfSent, node.conf_sent)
    changes = ChargerChanges(config.node_id, sockets.presence, transport, sockets.refresh_snapshot)
    events.subscribe(ChargerChanged, changes.changed)
    EventStream(transport).subscribe_to(events)
    app.extensions[RELAY_KEY] = Relay(transport, node, sender)
    return app.extensions[RELAY_KEY]


def relay(app: Flask | None = None) -> Relay:
    return (app or current_app).extensions[RELAY_KEY]
