"""Live events for dashboards (`GET /api/events`): command outcomes, charger and connector
status, transaction changes. Published after the commit they describe; a reader that is not
connected at that moment misses them (the REST resources hold the durable state)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Any

from adapters.relay.transport import RelayTransport
from domain.clock import to_wire, utcnow
from domain.events import (
    BootAnswered,
    ChargerConnected,
    ChargerDisconnected,
    ConnectorStatusReported,
    EventBus,
    TransactionStarted,
    TransactionStopped,
)
from domain.models import ChargerStatus, Command, TransactionStatus
from domain.services.status import CONNECTOR_STATUS


class EventType(StrEnum):
    COMMAND = "command"
    CHARGER = "charger"
    CONNECTOR = "connector"
    TRANSACTION = "transaction"


def event(event_type: EventType, charger_id: str, **fields: Any) -> dict[str, Any]:
    """An event as it goes on the wire: its type, the charger's name, the time, its fields."""
    return {"type": str(event_type), "charger_id": charger_id, "time": to_wire(utcnow()), **fields}


def command_event(command: Command) -> dict[str, Any]:
    return event(
        EventType.COMMAND,
        command.charger_name,
        command_id=command.id,
        action=command.action,
        status=command.status,
        response=command.response,
        error_code=command.error_code,
        error_description=command.error_description,
        completed_at=to_wire(command.completed_at),
    )


class EventStream:
    """Publishes domain events to the dashboards' stream, one wire event each, after the
    commit they describe."""

    def __init__(self, transport: RelayTransport):
        self._transport = transport

    def subscribe_to(self, events: EventBus) -> None:
        for event_type, to_wire_event in _WIRE_EVENTS.items():
            events.subscribe(event_type, partial(self._publish, to_wire_event))

    def _publish(self, to_wire_event: Callable[[Any], dict[str, Any]], happened: Any) -> None:
        self._transport.publish_event(to_wire_event(happened))


def _connected(e: ChargerConnected) -> dict[str, Any]:
    return event(EventType.CHARGER, e.charger_name, status=ChargerStatus.CONNECTED)


def _disconnected(e: ChargerDisconnected) -> dict[str, Any]:
    return event(
        EventType.CHARGER, e.charger_name, status=ChargerStatus.DISCONNECTED, reason=e.reason
    )


def _booted(e: BootAnswered) -> dict[str, Any]:
    return event(
        EventType.CHARGER,
        e.charger_name,
        status=ChargerStatus.CONNECTED,
        registration_status=e.registration_status,
    )


def _connector_status(e: ConnectorStatusReported) -> dict[str, Any]:
    return event(
        EventType.CONNECTOR,
        e.charger_name,
        connector_id=e.connector_id,
        status=CONNECTOR_STATUS.get(e.ocpp_status),
        ocpp_status=e.ocpp_status,
        error_code=e.error_code,
    )


def _started(e: TransactionStarted) -> dict[str, Any]:
    return event(
        EventType.TRANSACTION,
        e.charger_name,
        transaction_id=e.transaction_id,
        status=TransactionStatus.ACTIVE,
        connector_id=e.connector_id,
        id_tag=e.id_tag,
    )


def _stopped(e: TransactionStopped) -> dict[str, Any]:
    return event(
        EventType.TRANSACTION,
        e.charger_name,
        transaction_id=e.transaction_id,
        status=TransactionStatus.COMPLETED,
        reason=e.reason,
    )


_WIRE_EVENTS: dict[type, Callable[[Any], dict[str, Any]]] = {
    ChargerConnected: _connected,
    ChargerDisconnected: _disconnected,
    BootAnswered: _booted,
    ConnectorStatusReported: _connector_status,
    TransactionStarted: _started,
    TransactionStopped: _stopped,
}
