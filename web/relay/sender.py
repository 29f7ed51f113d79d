"""The requesting side of the relay: the Command row first, then the envelope to the node
holding the charger's socket, then (optionally) a bounded wait for the outcome."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.exc import IntegrityError

from adapters.presence import Presence
from adapters.relay.transport import Envelope, RelayTransport
from domain.db import Database
from domain.models import Command, CommandStatus
from domain.services.commands import create_command, get_command, queue_command
from domain.services.message_log import record_frames
from domain.settings import Settings
from web.ocpp.connection import ChargerConnection
from web.relay.command_frames import call_frame
from web.relay.delivery import NodeRelay
from web.relay.outcomes import Outcomes

log = logging.getLogger(__name__)

IDEMPOTENT_POLL_SECONDS = 0.2  # how often a repeated request looks at the first one's row
IN_FLIGHT = (CommandStatus.PENDING, CommandStatus.SENT)


@dataclass(frozen=True)
class CommandRequest:
    charger_name: str
    action: str
    payload: Any
    requested_by: str | None = None
    idempotency_key: str | None = None
    queue_ttl: float | None = None


class CommandSender:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        presence: Presence,
        transport: RelayTransport,
        outcomes: Outcomes,
        node: NodeRelay,
    ):
        self._settings = settings
        self._database = database
        self._presence = presence
        self._transport = transport
        self._outcomes = outcomes
        self._node = node

    def send(self, request: CommandRequest, *, wait: bool | float = True) -> tuple[Command, bool]:
        """Record and route the command, then wait for its outcome: up to COMMAND_WAIT when
        `wait` is True, up to `wait` seconds (at most COMMAND_WAIT) when a number, not at all
        when False. Returns (command as it stands now, created). A repeated Idempotency-Key
        returns the first command (waiting for it likewise) and sends nothing.
        Raises the domain errors of `create_command` before anything is sent."""
        self._node.start()
        bound = self._bound(wait)
        # A command that may be queued keeps the routed path (the socket may close first).
        here = (
            None if request.queue_ttl is not None else self._node.local_socket(request.charger_name)
        )
        command, created = self._create(request, here)
        if not created:
            return self._watch(command.id, bound), False
        if here is not None:
            return self._send_here(here, command, request.payload, bound), True
        reply_to = self._transport.reply_address(command.id) if bound > 0 else None
        # The request's payload: the stored one has any AuthorizationKey redacted.
        envelope = Envelope(command.id, request.charger_name, command.action, request.payload)
        if self._route(envelope, reply_to) and reply_to is not None:
            self._transport.wait_outcome(reply_to, bound)
        return self._current(command.id), True

    def _bound(self, wait: bool | float) -> float:
        if wait is True:
            return self._settings.command_wait
        if wait is False:
            return 0.0
        return max(0.0, min(float(wait), self._settings.command_wait))

    def _create(
        self, request: CommandRequest, here: ChargerConnection | None
    ) -> tuple[Command, bool]:
        try:
            return self._create_once(request, here)
        except IntegrityError:
            if request.idempotency_key is None:
                raise
            # A concurrent request with the same Idempotency-Key committed first; this finds it.
            return self._create_once(request, here)

    def _create_once(
        self, request: CommandRequest, here: ChargerConnection | None
    ) -> tuple[Command, bool]:
        """The command row; for a charger whose socket is `here`, recorded Sent with its
        CALL logged in the same unit of work (the claim, without a second commit)."""
        with self._database.unit_of_work() as session:
            command, created = create_command(
                session,
                request.charger_name,
                request.action,
                request.payload,
                requested_by=request.requested_by,
                idempotency_key=request.idempotency_key,
                queue_ttl=request.queue_ttl,
                claimed=here is not None,
            )
            if created and here is not None:
                frame = call_frame(here, command.id, command.action, request.payload)
                record_frames(session, [frame])
            return command, created

    def _send_here(
        self, connection: ChargerConnection, command: Command, payload: Any, bound: float
    ) -> Command:
        """Same-node shortcut: the claimed command goes out on this node's socket; the
        outcome comes back in-process, with the row as recorded (no broker, no re-read)."""
        replies = self._outcomes.replies
        reply_to = replies.address(command.id) if bound > 0 else None
        self._node.send_here(connection, command.id, command.action, payload, reply_to)
        if reply_to is None:
            return command
        outcome = replies.wait(reply_to, bound)
        recorded = None if outcome is None else outcome.get("command")
        return recorded if recorded is not None else self._current(command.id)

    def _route(self, envelope: Envelope, reply_to: str | None) -> bool:
        """Publish to the node holding the socket; False when the command got its outcome
        here (Offline) or was queued, so there is nothing to wait for."""
        addressed = Envelope(
            envelope.command_id, envelope.charger_id, envelope.action, envelope.payload, reply_to
        )
        try:
            if self._publish(addressed):
                return True
        except redis.RedisError as error:
            self._outcomes.finish(
                envelope.command_id,
                CommandStatus.OFFLINE,
                error_description=f"relay unavailable: {error}",
            )
            return False
        with self._database.unit_of_work() as session:
            queued = queue_command(session, envelope.command_id)
        if not queued:
            self._outcomes.finish(
                envelope.command_id,
                CommandStatus.OFFLINE,
                error_description="no node holds the charger's socket",
            )
            return False
        log.info(
            "command queued for an offline charger",
            extra={
                "charger_id": envelope.charger_id,
                "unique_id": envelope.command_id,
                "action": envelope.action,
                "outcome": CommandStatus.QUEUED,
            },
        )
        # The charger may have connected (and drained its queue) between the two looks.
        try:
            self._publish(envelope)
        except redis.RedisError as error:
            log.warning(
                "queued command not re-offered",
                extra={
                    "charger_id": envelope.charger_id,
                    "unique_id": envelope.command_id,
                    "action": envelope.action,
                    "outcome": CommandStatus.QUEUED,
                    "error": str(error),
                },
            )
        return False

    def _publish(self, envelope: Envelope) -> bool:
        node_id = self._presence.node_of(envelope.charger_id)
        return node_id is not None and self._transport.publish(node_id, envelope) > 0

    def _watch(self, command_id: str, bound: float) -> Command:
        """The command once it has an outcome or is queued, or as it stands after `bound`
        seconds."""
        deadline = time.monotonic() + bound
        command = self._current(command_id)
        while command.status in IN_FLIGHT and time.monotonic() < deadline:
            time.sleep(IDEMPOTENT_POLL_SECONDS)
            command = self._current(command_id)
        return command

    def _current(self, command_id: str) -> Command:
        with self._database.unit_of_work() as session:
            return get_command(session, command_id)
