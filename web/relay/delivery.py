"""This node's end of the relay: envelopes addressed to it go out on the local charger socket,
queued commands go out once their charger is Accepted on its socket, and stranded commands
get an outcome."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ocpp.messages import MessageType
from ocpp.v16.enums import Action, GenericStatus

from adapters.relay.transport import Envelope, EnvelopeKind, RelayTransport
from domain.db import Database
from domain.events import CallConfSent, ChargerConnected
from domain.models import Command, CommandStatus, Direction, RegistrationStatus
from domain.services.commands import queue_command
from domain.settings import Settings
from web.ocpp.connection import ChargerConnection
from web.ocpp.connection_map import ConnectionMap
from web.ocpp.outgoing import CallErrorReceived, CallFailed, CallTimeout
from web.ocpp.validation import schema_violations
from web.relay.command_frames import call_frame, command_frame
from web.relay.outcomes import Outcomes
from web.relay.queued_check import QueuedCommandCheck

log = logging.getLogger(__name__)

SWEEP_SECONDS = 2.0
# Slack before a sweep decides that the node which took a command has gone away.
STRANDED_GRACE_SECONDS = 5.0
SUBSCRIBE_WAIT_SECONDS = 3.0


class NodeRelay:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        transport: RelayTransport,
        connections: ConnectionMap,
        outcomes: Outcomes,
        refresh_snapshot: Callable[[str], object],
    ):
        self._settings = settings
        # Takes a charger's snapshot again on its socket here (a CHARGER_CHANGED envelope).
        self._refresh_snapshot = refresh_snapshot
        self._database = database
        self._transport = transport
        self._connections = connections
        self._outcomes = outcomes
        self._started = False
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()
        # Sockets whose queued commands went (or were looked for) after a first message.
        self._released: weakref.WeakSet[ChargerConnection] = weakref.WeakSet()
        self._queued = QueuedCommandCheck(database, self.send_queued)

    def start(self) -> None:
        """Subscribe to this node's channel and start the sweep (once, on first use: the first
        charger socket or the first command), waiting briefly for the subscription."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
            self._transport.listen(self._settings.node_id, self._received)
            threading.Thread(
                target=_sweep_while_alive,
                args=(weakref.ref(self), self._stopped),
                name="relay-sweep",
                daemon=True,
            ).start()
        if not self._stopped.wait(0) and not self._listening_within(SUBSCRIBE_WAIT_SECONDS):
            log.warning("relay not subscribed yet", extra={"node_id": self._settings.node_id})

    def stop(self) -> None:
        self._stopped.set()

    def deliver(self, envelope: Envelope) -> None:
        """Put the command on this node's socket for its charger and record the outcome."""
        connection = self._connections.get(envelope.charger_id)
        if connection is None or connection.closed:
            self._not_here(envelope)
            return
        self._exchange(
            connection, envelope.command_id, envelope.action, envelope.payload, envelope.reply_to
        )

    def send_queued(self, connection: ChargerConnection, waiting: list[Command]) -> int:
        """Send the charger's queued commands in the order they were made; how many went."""
        sent = 0
        for command in waiting:
            if connection.closed:
                break
            sent += self._exchange(connection, command.id, command.action, command.payload, None)
        return sent

    def offer_queued(self, connection: ChargerConnection) -> None:
        """Send the charger's queued commands soon (`QueuedCommandCheck`: looked for with
        other sockets' in one query, sent from a greenlet of their own)."""
        self.start()
        self._queued.offer(connection)

    def _received(self, envelope: Envelope) -> None:
        # Called on the subscription loop: hand each envelope its own greenlet.
        if envelope.kind == EnvelopeKind.CHARGER_CHANGED:
            work, args = self._refresh_snapshot, (envelope.charger_id,)
        else:
            work, args = self.deliver, (envelope,)
        threading.Thread(target=work, args=args, daemon=True).start()

    def charger_connected(self, event: ChargerConnected) -> None:
        """Start listening with the first socket (queued commands wait for `conf_sent`)."""
        self.start()

    def conf_sent(self, event: CallConfSent) -> None:
        """Send the charger's queued commands once it is Accepted on this socket: after a
        BootNotification.conf that says Accepted, or after the first other message of a
        charger that reconnected without booting (its stored registration must be Accepted,
        see `queued_commands`). Never when the socket merely opens: a charger that booted
        must first hear its BootNotification answered (OCPP 1.6 section 4.2). An accepted
        SignCertificate queued its CertificateSigned: that goes once the answer is out."""
        connection = self._connections.get(event.charger_name)
        if connection is None:
            return
        if event.action == Action.boot_notification:
            if event.conf.get("status") != RegistrationStatus.ACCEPTED:
                return
        elif event.action == Action.sign_certificate:
            if event.conf.get("status") != GenericStatus.accepted:
                return
        elif connection in self._released:
            return
        self._released.add(connection)
        self.offer_queued(connection)

    def _not_here(self, envelope: Envelope) -> None:
        """The presence record pointed here but the socket is gone (it moved or closed)."""
        with self._database.unit_of_work() as session:
            queued = queue_command(session, envelope.command_id)
        if queued:
            self._outcomes.notify(envelope.command_id, CommandStatus.QUEUED, envelope.reply_to)
            return
        self._outcomes.finish(
            envelope.command_id,
            CommandStatus.OFFLINE,
            envelope.reply_to,
            error_description=f"node {self._settings.node_id} holds no socket for the charger",
        )

    def local_socket(self, charger_name: str) -> ChargerConnection | None:
        """The charger's open socket when this very node holds it (the same-node shortcut:
        no presence look-up, no broker round trip)."""
        connection = self._connections.get(charger_name)
        return None if connection is None or connection.closed else connection

    def send_here(
        self,
        connection: ChargerConnection,
        command_id: str,
        action: str,
        payload: dict[str, Any],
        reply_to: str | None,
    ) -> None:
        """Send a command already claimed (Sent, its CALL logged) on this node's socket from
        a greenlet of its own, and record its outcome; the caller may wait at `reply_to`."""
        threading.Thread(
            target=self._converse,
            args=(connection, command_id, action, payload, reply_to),
            daemon=True,
        ).start()

    def _exchange(
        self,
        connection: ChargerConnection,
        command_id: str,
        action: str,
        payload: dict[str, Any],
        reply_to: str | None,
    ) -> bool:
        """Claim, send, wait, record; False when the command was not ours to send. The
        CALL is logged with the claim and the CALLRESULT with the outcome (one unit of work
        each)."""
        # A socket already closed gets no CALL (see `call`): none is logged then.
        logged = [] if connection.closed else [call_frame(connection, command_id, action, payload)]
        if not self._outcomes.claim(command_id, reply_to, logged):
            return False
        self._converse(connection, command_id, action, payload, reply_to)
        return True

    def _converse(
        self,
        connection: ChargerConnection,
        command_id: str,
        action: str,
        payload: dict[str, Any],
        reply_to: str | None,
    ) -> None:
        """Send the claimed command's CALL, wait for the answer and record the outcome."""
        try:
            result = connection.call(
                action,
                payload,
                unique_id=command_id,
                timeout=self._settings.command_timeout,
                record=False,
            )
        except CallFailed as failure:
            self._failed(command_id, reply_to, failure)
            return
        violations = schema_violations(action, result.payload, response=True)
        self._outcomes.answered(
            command_id,
            result.payload,
            reply_to,
            [f"{violation.path}: {violation.message}" for violation in violations],
            [
                command_frame(
                    connection,
                    MessageType.CallResult,
                    Direction.IN,
                    command_id,
                    action,
                    result.payload,
                )
            ],
        )

    def _failed(self, command_id: str, reply_to: str | None, failure: CallFailed) -> None:
        """Record the outcome of a call that got no CALLRESULT."""
        if isinstance(failure, CallErrorReceived):
            self._outcomes.finish(
                command_id,
                CommandStatus.CALL_ERROR,
                reply_to,
                error_code=failure.code,
                error_description=failure.description,
            )
        elif isinstance(failure, CallTimeout):
            self._outcomes.finish(
                command_id, CommandStatus.TIMEOUT, reply_to, error_description=str(failure)
            )
        else:
            self._outcomes.finish(
                command_id,
                CommandStatus.OFFLINE,
                reply_to,
                error_description=f"socket closed before the charger answered: {failure}",
            )

    def sweep(self) -> None:
        """Give stranded commands their outcome (see `Outcomes.sweep`)."""
        # A call may first wait its timeout for an earlier call, then its timeout for the answer.
        try:
            self._outcomes.sweep(
                sent_timeout=2 * self._settings.command_timeout + STRANDED_GRACE_SECONDS,
                pending_timeout=self._settings.command_wait + STRANDED_GRACE_SECONDS,
            )
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("relay sweep failed", extra={"node_id": self._settings.node_id})

    def _listening_within(self, seconds: float) -> bool:
        waited = 0.0
        while not self._transport.listening(self._settings.node_id):
            if waited >= seconds or self._stopped.wait(0.05):
                return False
            waited += 0.05
        return True


def _sweep_while_alive(node_ref: weakref.ref, stopped: threading.Event) -> None:
    """Sweep every SWEEP_SECONDS until the node is stopped or gone (an app no longer in use,
    as in tests, takes its sweep with it)."""
    while not stopped.wait(SWEEP_SECONDS):
        node = node_ref()
        if node is None:
            return
        node.sweep()
        del node
