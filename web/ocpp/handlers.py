"""The one pipeline that answers a charger's CALL, from its socket or from the REST API's
send-command ("as if the charger had sent it").

Validate the request against the 1.6 schema, run its domain service and log both frames in
one unit of work, check the `.conf` against the response schema, and only after the commit
publish the domain events it made true (event stream, outbox dispatch, metrics). A CALL that
fails validation or whose unit of work fails gets a CALLERROR and leaves no row behind but
its logged frames (the rollback takes everything else; send-command's refusals log none).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from ocpp.messages import MessageType
from ocpp.v16.enums import Action
from sqlalchemy.orm import Session

from domain.boot_storm import BootStormGuard
from domain.clock import utcnow
from domain.db import Database
from domain.errors import ChargerNotRegistered
from domain.events import CallAnswered, CallConfSent, EventBus
from domain.group_commit import Committer, UnitOfWorkCommitter
from domain.models import Direction
from domain.services.certificates import CertificateAuthority
from domain.services.charger_calls import (
    KEPT_BEFORE_ANSWER,
    CallContext,
    answer_charger_call,
    answer_heartbeat,
)
from domain.services.charger_snapshots import ChargerSnapshot, explain_failure, take_snapshot
from domain.services.chargers import find_charger
from domain.services.message_log import record_frames
from domain.settings import Settings
from domain.write_behind import Bookkeeping
from web import metrics
from web.ocpp.call_log import FrameLog, Source, call_rows, error_body, exchange_rows
from web.ocpp.connection import ChargerConnection, Reply
from web.ocpp.errors import CallErrorCode, CallErrorReply, call_error_for
from web.ocpp.framing import IncomingCall, error_frame, result_frame
from web.ocpp.validation import Violation, error_code_for, schema_violations

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 255
# send-command takes the original design's examples verbatim, where a charger starts a session
# with its own 36-character UUID idTag; over OCPP an idTag stays CiString20.
API_ID_TAG_LENGTH = 36


@dataclass(frozen=True)
class Refused:
    """A CALL answered with a CALLERROR; `cause` is the exception behind it (None when the
    request itself broke the 1.6 schema)."""

    error: CallErrorReply
    cause: BaseException | None = None


class CallHandler:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        storm_guard: BootStormGuard,
        events: EventBus,
        clock: Callable[[], datetime] = utcnow,
        bookkeeping: Bookkeeping | None = None,
        committer: Committer | None = None,
    ):
        self.database = database
        # Commits each CALL's unit of work before its `.conf` (group commit on PostgreSQL).
        self.committer = committer or UnitOfWorkCommitter(database)
        # Where bookkeeping the charger will not resend goes (written behind); None writes
        # it inline, in each exchange's unit of work.
        self.bookkeeping = bookkeeping
        self.settings = settings
        self.storm_guard = storm_guard
        self.events = events
        self.clock = clock
        self.certificate_authority = CertificateAuthority.from_settings(settings)
        self.frame_log = FrameLog(database, bookkeeping)

    def answer(self, connection: ChargerConnection, call: IncomingCall) -> Reply:
        """The socket's reply to one CALL (never raises for anything the charger sent)."""
        name = connection.charger_name
        snapshot = connection.snapshot
        outcome = self.run(name, call, snapshot=snapshot)
        if isinstance(outcome, Refused):
            return Reply(error_frame(call.unique_id, *error_body(outcome.error)))
        if _may_change(snapshot, call):
            self.refresh_snapshot(connection)
        frame = result_frame(call.unique_id, outcome)
        if call.action not in CallConfSent.ALWAYS_PUBLISHED:
            if connection.other_conf_sent:
                return Reply(frame)
            connection.other_conf_sent = True
        sent = CallConfSent(name, call.action, outcome)
        return Reply(frame, after_send=partial(self.events.publish, [sent]))

    def refresh_snapshot(self, connection: ChargerConnection) -> None:
        """Take the socket's snapshot of its charger again (None when it is no longer
        registered, or the read failed: its calls then look the charger up each time)."""
        with connection.snapshot_lock:  # the last read taken is the last one kept
            try:
                with self.database.unit_of_work() as session:
                    connection.snapshot = take_snapshot(session, connection.charger_name)
            except Exception:  # noqa: BLE001 - the lookup path is always correct
                connection.snapshot = None
                log.exception(
                    "charger snapshot not taken", extra={"charger_id": connection.charger_name}
                )

    def run(
        self,
        name: str,
        call: IncomingCall,
        source: Source = Source.CHARGER,
        snapshot: ChargerSnapshot | None = None,
    ) -> dict[str, Any] | Refused:
        """Answer charger `name`'s CALL: the `.conf` payload, committed with both frames of
        the exchange logged, or Refused with the CALLERROR (both frames logged). Without the
        socket's `snapshot` the charger is looked up. Publishes the committed unit of work's
        events and a CallAnswered; never raises."""
        # Boot admission follows the backlog in flight.
        self.storm_guard.call_started(time.monotonic())
        try:
            return self._run(name, call, source, snapshot)
        finally:
            self.storm_guard.call_finished(time.monotonic())

    def _run(
        self, name: str, call: IncomingCall, source: Source, snapshot: ChargerSnapshot | None
    ) -> dict[str, Any] | Refused:
        started = time.perf_counter()
        violations = schema_violations(call.action, call.payload)
        if source is Source.API:
            violations = [v for v in violations if not _uuid_id_tag(v, call.payload)]
        if violations:
            first = violations[0]
            error = CallErrorReply(
                error_code_for(violations),
                f"{first.path}: {first.message}"[:MAX_DESCRIPTION],
                {"violations": [violation.as_dict() for violation in violations]},
            )
            return self._refuse(name, call, Refused(error), started, source)
        context = self._context(call.action, source)
        try:
            if call.action == Action.heartbeat and context.bookkeeping is not None:
                # All of it is written behind: no unit of work to open and commit.
                conf, events = self._answer_in(None, name, call, context, source, None), []
            else:
                conf, events = self.committer.submit(
                    partial(
                        self._answer_in,
                        name=name,
                        call=call,
                        context=context,
                        source=source,
                        snapshot=snapshot,
                    )
                )
        except Exception as failure:  # noqa: BLE001 - every failure becomes a CALLERROR
            failure = explain_failure(self.database, snapshot, failure)
            error = call_error_for(failure)
            if error.code is CallErrorCode.INTERNAL_ERROR:
                log.exception(
                    "ocpp call failed",
                    extra=_fields(name, call, "InternalError", started, source),
                )
            return self._refuse(name, call, Refused(error, failure), started, source)
        if context.bookkeeping is not None and call.action not in KEPT_BEFORE_ANSWER:
            context.bookkeeping.log_frames(exchange_rows(name, call, conf, source, context.now))
        if log.isEnabledFor(logging.DEBUG):  # per frame: not even its fields otherwise
            log.debug("ocpp call answered", extra=_fields(name, call, "conf", started, source))
        answered = CallAnswered(name, call.action, metrics.CALLRESULT, _since(started))
        self.events.publish([*events, answered])
        return conf

    def _answer_in(
        self,
        session: Session | None,
        name: str,
        call: IncomingCall,
        context: CallContext,
        source: Source,
        snapshot: ChargerSnapshot | None,
    ) -> dict[str, Any]:
        """The `.conf`, written through `session` (None: a Heartbeat written behind)."""
        if call.action == Action.heartbeat:
            conf = answer_heartbeat(session, name, context)
        else:
            charger = snapshot or find_charger(session, name)
            conf = (
                None
                if charger is None
                else answer_charger_call(session, charger, call.action, call.payload, context)
            )
        if conf is None:
            raise ChargerNotRegistered(f"{name} is no longer registered")
        broken = schema_violations(call.action, conf, response=True)
        if broken:
            raise RuntimeError(f"{call.action}.conf breaks the schema: {broken}")
        if context.bookkeeping is None or call.action in KEPT_BEFORE_ANSWER:
            record_frames(session, exchange_rows(name, call, conf, source, context.now))
        return conf

    def _context(self, action: str, source: Source) -> CallContext:
        retry = None
        if action == Action.boot_notification:
            retry = self.storm_guard.admit(time.monotonic())
        return CallContext(
            now=self.clock(),
            heartbeat_interval=self.settings.heartbeat_interval,
            boot_retry_interval=retry,
            certificate_authority=self.certificate_authority,
            # send-command's exchanges are written at once: its caller reads them back.
            bookkeeping=self.bookkeeping if source is Source.CHARGER else None,
        )

    def _refuse(
        self, name: str, call: IncomingCall, refused: Refused, started: float, source: Source
    ) -> Refused:
        code = refused.error.code
        if code is not CallErrorCode.INTERNAL_ERROR:
            log.warning("ocpp call refused", extra=_fields(name, call, code, started, source))
        self.events.publish([CallAnswered(name, call.action, code.value, _since(started))])
        if source is Source.API:
            # send-command answers an HTTP error, not a CALLERROR frame, and writes nothing.
            return refused
        self.frame_log.log(
            name,
            call.unique_id,
            call.action,
            call_rows(
                name,
                call,
                [
                    (Direction.IN, MessageType.Call, call.payload),
                    (Direction.OUT, MessageType.CallError, error_body(refused.error)),
                ],
                source,
            ),
        )
        return refused


def _may_change(snapshot: ChargerSnapshot | None, call: IncomingCall) -> bool:
    """The answered call named a connector the snapshot does not know (stored on first
    sight). (A BootNotification that finds the snapshot differing from the row publishes
    ChargerChanged instead.) A socket without one (its charger gone, or a failed read) looks
    its charger up until an operator's change or its next connection takes one again."""
    connector_id = call.payload.get("connectorId")
    return (
        snapshot is not None
        and isinstance(connector_id, int)
        and not snapshot.knows_connector(connector_id)
    )


def _uuid_id_tag(violation: Violation, payload: dict[str, Any]) -> bool:
    """The violation is only an idTag longer than 20 characters that fits a charger's UUID."""
    return (
        violation.path == "idTag"
        and violation.keyword == "maxLength"
        and len(payload["idTag"]) <= API_ID_TAG_LENGTH
    )


def _since(started: float) -> float:
    return time.perf_counter() - started


def _fields(
    name: str, call: IncomingCall, outcome: str, started: float, source: Source
) -> dict[str, Any]:
    return {
        "charger_id": name,
        "unique_id": call.unique_id,
        "action": call.action,
        "outcome": str(outcome),
        "source": str(source),
        "duration_ms": round(_since(started) * 1000, 1),
    }
