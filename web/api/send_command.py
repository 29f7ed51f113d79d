"""POST /api/chargers/{name}/send-command/ (and send_command/): the original design's
`{"command": {"action": ..., "req_data": {...}}}`.

Each action has a handler in COMMAND_HANDLERS. The charger-initiated ones run the same
domain code as the charger's socket would, as if that charger had sent `req_data`, and are
logged in the charger's OCPP message log with source "api". StartRemoteTransaction and
StopRemoteTransaction send RemoteStartTransaction/RemoteStopTransaction to the live charger
through the relay (web/api/commands.py) and answer its reply or the Offline/Timeout outcome.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import abort
from ocpp.messages import MessageType
from ocpp.v16.enums import Action

from domain.clock import utcnow
from domain.models import Direction, Role
from domain.services.charger_calls import CallContext, answer_charger_call
from domain.services.chargers import get_charger
from domain.services.message_log import record_frame
from web.api.blueprint import ApiBlueprint
from web.api.commands import REMOTE_HANDLERS
from web.api.fields import text
from web.extensions import database, outbox, settings
from web.ocpp.validation import schema_violations

log = logging.getLogger(__name__)

blp = ApiBlueprint(
    "send-command",
    __name__,
    url_prefix="/api/chargers",
    description="The original design's send-command endpoint.",
)

API_SOURCE = "api"

Payload = dict[str, Any]
CommandHandler = Callable[[str, str, Payload], Payload]


def run_as_charger(charger_name: str, action: str, req_data: Payload) -> Payload:
    """Validate `req_data` as the charger's `action` CALL, answer it through the domain in
    one unit of work, log both frames as source "api", and return the `.conf` payload.

    400 listing the 1.6 schema violations; 404 for an unknown charger."""
    violations = schema_violations(action, req_data)
    if violations:
        abort(
            HTTPStatus.BAD_REQUEST,
            message=f"req_data is not a valid OCPP 1.6 {action} request",
            errors={"req_data": [violation.as_dict() for violation in violations]},
        )
    unique_id = str(uuid.uuid4())
    frame = {"charger_name": charger_name, "unique_id": unique_id, "source": API_SOURCE}
    with database().unit_of_work() as session:
        charger = get_charger(session, charger_name)
        now = utcnow()
        context = CallContext(
            now=now, heartbeat_interval=settings().heartbeat_interval, source=API_SOURCE
        )
        record_frame(
            session,
            **frame,
            direction=Direction.IN,
            message_type=MessageType.Call,
            action=action,
            payload=req_data,
            at=now,
        )
        conf = answer_charger_call(session, charger, action, req_data, context)
        record_frame(
            session,
            **frame,
            direction=Direction.OUT,
            message_type=MessageType.CallResult,
            action=action,
            payload=conf,
            at=now,
        )
    outbox().drain()
    log.info(
        "send-command answered",
        extra={
            "charger_id": charger_name,
            "unique_id": unique_id,
            "action": action,
            "outcome": "answered",
            "source": API_SOURCE,
        },
    )
    return conf


COMMAND_HANDLERS: dict[str, CommandHandler] = {
    **{
        action: run_as_charger
        for action in (
            Action.boot_notification,
            Action.heartbeat,
            Action.authorize,
            Action.start_transaction,
            Action.stop_transaction,
        )
    },
    **REMOTE_HANDLERS,
}


class CommandSchema(ma.Schema):
    action = text(
        64,
        required=True,
        metadata={
            "description": "BootNotification, Heartbeat, Authorize, StartTransaction or "
            "StopTransaction (run as if the charger sent it); StartRemoteTransaction or "
            "StopRemoteTransaction (sent to the charger); others answer 400",
            "example": "Heartbeat",
        },
    )
    req_data = ma.fields.Dict(
        keys=ma.fields.String(),
        load_default=dict,
        metadata={"description": "The OCPP 1.6 request payload of `action`"},
    )


class SendCommandSchema(ma.Schema):
    command = ma.fields.Nested(CommandSchema, required=True)


CONFIRMATION = {
    "type": "object",
    "description": "The OCPP 1.6 confirmation payload, e.g. Heartbeat's {currentTime}",
}


def send_command(body: dict, name: str) -> Payload:
    action = body["command"]["action"]
    handler = COMMAND_HANDLERS.get(action)
    if handler is None:
        abort(
            HTTPStatus.BAD_REQUEST,
            message=f"unknown action {action!r}",
            errors={"action": [f"must be one of {', '.join(sorted(COMMAND_HANDLERS))}"]},
        )
    return handler(name, action, body["command"]["req_data"])


class SendCommand(MethodView):
    @blp.requires(Role.OPERATOR)
    @blp.arguments(SendCommandSchema)
    @blp.response(HTTPStatus.OK, CONFIRMATION)
    @blp.alt_response(HTTPStatus.BAD_REQUEST, "BAD_REQUEST")
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def post(self, body, name):
        """Run a command for a charger; answers the OCPP confirmation payload"""
        return jsonify(send_command(body, name))


blp.route("/<name(48):name>/send-command/", endpoint="send-command")(SendCommand)
blp.route("/<name(48):name>/send_command/", endpoint="send_command")(SendCommand)
