"""POST /api/chargers/{name}/send-command/ (and send_command/): the original design's
`{"command": {"action": ..., "req_data": {...}}}`.

Each action has a handler in COMMAND_HANDLERS. The charger-initiated ones go through the
charger socket's own pipeline (web/ocpp/handlers.py), as if that charger had sent `req_data`,
and are logged in the charger's OCPP message log with source "api". StartRemoteTransaction and
StopRemoteTransaction send RemoteStartTransaction/RemoteStopTransaction to the live charger
through the relay (web/api/commands.py) and answer its reply or the Offline/Timeout outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import abort
from ocpp.v16.enums import Action

from domain.models import Role
from web.api.blueprint import ApiBlueprint
from web.api.commands import REMOTE_HANDLERS
from web.api.errors import abort_on_violations
from web.api.fields import CHARGER_IN_URL, text
from web.ocpp import ocpp_node
from web.ocpp.framing import IncomingCall
from web.ocpp.handlers import Refused, Source

blp = ApiBlueprint(
    "send-command",
    __name__,
    url_prefix="/api/chargers",
    description="The original design's send-command endpoint.",
)

Payload = dict[str, Any]
CommandHandler = Callable[[str, str, Payload], Payload]


def run_as_charger(charger_name: str, action: str, req_data: Payload) -> Payload:
    """Answer `req_data` as if charger `charger_name` had sent the `action` CALL on its
    socket: the same pipeline (validation, unit of work, log rows with source "api",
    metrics, events) returns the `.conf` payload.

    400 listing the 1.6 schema violations; 404 for an unknown charger; other domain errors
    as the API maps them; anything else raises (500)."""
    call = IncomingCall(unique_id=str(uuid.uuid4()), action=action, payload=req_data)
    outcome = ocpp_node().handler.run(charger_name, call, Source.API)
    if not isinstance(outcome, Refused):
        return outcome
    if outcome.cause is None:
        abort_on_violations(action, outcome.error.details["violations"], "req_data")
    raise outcome.cause or outcome.error


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


class SendCommandAsDesigned(MethodView):
    @blp.requires(Role.OPERATOR)
    @blp.arguments(SendCommandSchema)
    @blp.response(HTTPStatus.OK, CONFIRMATION)
    @blp.alt_response(HTTPStatus.BAD_REQUEST, "BAD_REQUEST")
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def post(self, body, name):
        """Run a command for a charger; answers the OCPP confirmation payload"""
        return jsonify(send_command(body, name))


blp.route(f"/{CHARGER_IN_URL}/send-command/", endpoint="send-command")(SendCommandAsDesigned)
blp.route(f"/{CHARGER_IN_URL}/send_command/", endpoint="send_command")(SendCommandAsDesigned)
