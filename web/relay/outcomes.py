"""Recording a command's one outcome and telling everyone who cares: the waiting request
(its reply address), dashboards (an event), monitoring (a metric) and the log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from adapters.relay import LocalReplies
from adapters.relay.transport import RelayTransport
from domain.db import Database
from domain.models import Command
from domain.services.command_outcomes import (
    expire_overdue_commands,
    record_answer,
    record_outcome,
)
from domain.services.commands import claim_for_sending, get_command
from domain.services.message_log import record_frames
from web.metrics import record_command_outcome
from web.relay.events import command_event

log = logging.getLogger(__name__)


class Outcomes:
    def __init__(self, database: Database, transport: RelayTransport):
        self._database = database
        self._transport = transport
        # Waiters on this node for commands sent on its own sockets: told in-process, and
        # handed the recorded command so that they need not read it again.
        self.replies = LocalReplies()

    def claim(
        self, command_id: str, reply_to: str | None = None, frames: Sequence[dict] = ()
    ) -> bool:
        """Mark the command Sent before its CALL goes out, logging `frames` (message-log
        rows: the CALL) in the same unit of work; False (nothing logged, and the waiter
        told the command's current status) when it is not there to be sent: already sent
        elsewhere, expired, or finished."""
        with self._database.unit_of_work() as session:
            claimed = claim_for_sending(session, command_id)
            if claimed:
                record_frames(session, list(frames))
            status = None if claimed else get_command(session, command_id).status
        if not claimed:
            self.notify(command_id, status, reply_to)
        return claimed

    def finish(
        self,
        command_id: str,
        status: str,
        reply_to: str | None = None,
        *,
        error_code: str | None = None,
        error_description: str | None = None,
    ) -> str:
        """Record `status` unless the command already has an outcome; returns the status the
        command ends with (the earlier outcome when there was one) and tells the waiter."""
        return self._record(
            command_id,
            reply_to,
            lambda session: record_outcome(
                session,
                command_id,
                status,
                error_code=error_code,
                error_description=error_description,
            ),
        )

    def answered(
        self,
        command_id: str,
        response: Any,
        reply_to: str | None = None,
        violations: Sequence[str] = (),
        frames: Sequence[dict] = (),
    ) -> str:
        """Record the charger's CALLRESULT and its side effects, and log `frames`
        (message-log rows: the CALLRESULT) in the same unit of work; see `finish`. Should
        keeping the side effects fail, the answer is still recorded (and logged), without
        them."""
        try:
            return self._record(
                command_id,
                reply_to,
                lambda session: record_answer(session, command_id, response, violations=violations),
                frames,
            )
        except SQLAlchemyError as error:
            log.exception("answer's side effects not kept", extra={"unique_id": command_id})
            reason = type(error).__name__
            return self._record(
                command_id,
                reply_to,
                lambda session: record_answer(
                    session,
                    command_id,
                    response,
                    violations=violations,
                    effects_failed=reason,
                ),
                frames,
            )

    def notify(
        self, command_id: str, status: str, reply_to: str | None, command: Command | None = None
    ) -> None:
        """Tell the waiter at `reply_to` (if any) the command's status; a waiter in this
        process also gets `command`, the row as recorded."""
        if reply_to is None:
            return
        outcome = {"command_id": command_id, "status": status}
        if not self.replies.push(reply_to, {**outcome, "command": command}):
            self._transport.push_outcome(reply_to, outcome)

    def sweep(self, *, sent_timeout: float, pending_timeout: float) -> int:
        """Give stranded commands their outcome (Expired, Timeout, Offline); how many."""
        with self._database.unit_of_work() as session:
            finished = expire_overdue_commands(
                session, sent_timeout=sent_timeout, pending_timeout=pending_timeout
            )
        for command in finished:
            self._announce(command)
        return len(finished)

    def _record(
        self,
        command_id: str,
        reply_to: str | None,
        write: Callable[[Session], Command | None],
        frames: Sequence[dict] = (),
    ) -> str:
        with self._database.unit_of_work() as session:
            record_frames(session, list(frames))
            recorded = write(session)
            command = recorded or get_command(session, command_id)
        if recorded is not None:
            self._account(recorded)
        else:
            log.info(
                "command already had its outcome",
                extra={
                    "charger_id": command.charger_name,
                    "unique_id": command_id,
                    "outcome": command.status,
                },
            )
        self.notify(command_id, command.status, reply_to, command)
        # The dashboards' event after the waiter is told: its broker round trip is not the
        # request's latency.
        if recorded is not None:
            self._transport.publish_event(command_event(recorded))
        return command.status

    def _announce(self, command: Command) -> None:
        self._account(command)
        self._transport.publish_event(command_event(command))

    def _account(self, command: Command) -> None:
        """The outcome's log line and metric."""
        log.info(
            "command outcome",
            extra={
                "charger_id": command.charger_name,
                "unique_id": command.id,
                "action": command.action,
                "outcome": command.status,
            },
        )
        record_command_outcome(command.action, command.status)
