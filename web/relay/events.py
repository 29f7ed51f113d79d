"""Live events for dashboards (`GET /api/events`): command outcomes, charger and connector
status, transaction changes. Published after the commit they describe; a reader that is not
connected at that moment misses them (the REST resources hold the durable state)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ocpp.v16.enums import Action

from domain.clock import to_wire, utcnow
from domain.models import ChargerStatus, Command, TransactionStatus
from domain.services.status import CONNECTOR_STATUS
from web.ocpp.connection import ChargerConnection
from web.ocpp.framing import IncomingCall
from web.relay.transport import RelayTransport


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
        command.charger.name,
        command_id=command.id,
        action=command.action,
        status=command.status,
        response=command.response,
        error_code=command.error_code,
        error_description=command.error_description,
        completed_at=to_wire(command.completed_at),
    )


class SocketEvents:
    """Turns the charger socket's hooks into events: connect/close, boot, connector status,
    transaction start and stop. Each is published after the commit it describes."""

    def __init__(self, transport: RelayTransport):
        self._transport = transport

    def connected(self, connection: ChargerConnection) -> None:
        self._publish(EventType.CHARGER, connection.charger_name, status=ChargerStatus.CONNECTED)

    def disconnected(self, connection: ChargerConnection) -> None:
        self._publish(
            EventType.CHARGER,
            connection.charger_name,
            status=ChargerStatus.DISCONNECTED,
            reason=connection.close_reason,
        )

    def answered(self, name: str, call: IncomingCall, conf: dict[str, Any]) -> None:
        payload = call.payload
        if call.action == Action.boot_notification:
            self._publish(
                EventType.CHARGER,
                name,
                status=ChargerStatus.CONNECTED,
                registration_status=conf["status"],
            )
        elif call.action == Action.status_notification:
            self._publish(
                EventType.CONNECTOR,
                name,
                connector_id=payload["connectorId"],
                status=CONNECTOR_STATUS.get(payload["status"]),
                ocpp_status=payload["status"],
                error_code=payload["errorCode"],
            )
        elif call.action == Action.start_transaction:
            self._publish(
                EventType.TRANSACTION,
                name,
                transaction_id=conf["transactionId"],
                status=TransactionStatus.ACTIVE,
                connector_id=payload["connectorId"],
                id_tag=payload["idTag"],
            )
        elif call.action == Action.stop_transaction:
            self._publish(
                EventType.TRANSACTION,
                name,
                transaction_id=payload["transactionId"],
                status=TransactionStatus.COMPLETED,
                reason=payload.get("reason"),
            )

    def _publish(self, event_type: EventType, charger_id: str, **fields: Any) -> None:
        self._transport.publish_event(event(event_type, charger_id, **fields))
