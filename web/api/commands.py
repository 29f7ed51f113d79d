"""Central-system commands over REST: send one to a charger, look them up.

`POST /api/chargers/{name}/commands/{Action}` takes the OCPP 1.6 payload as its body, checks
it against the 1.6 schema (400 listing every violation) and hands it to the relay. It waits
up to COMMAND_WAIT for the outcome (200); with `Prefer: respond-async`, when queued, or when
the wait runs out it answers 202 with `Location: /api/commands/{id}`.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import request, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from ocpp.v16.enums import Action

from domain.models import Command, CommandStatus, Role
from domain.queries.commands import list_commands
from domain.services.command_actions import COMMAND_ACTIONS
from domain.services.commands import get_command, is_final
from web.api.blueprint import ApiBlueprint, paged
from web.api.errors import abort_on_violations
from web.api.fields import CHARGER_IN_URL, UTCDateTime, charger_name, one_of, text
from web.extensions import database
from web.ocpp.validation import schema_violations
from web.relay import CommandRequest, relay

blp = ApiBlueprint(
    "commands",
    __name__,
    url_prefix="/api",
    description="Central-system commands (OCPP 1.6 and its security extension) and outcomes.",
)

IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,100}$"
QUEUE_TTL_RANGE = ma.validate.Range(min=1, max=7 * 24 * 3600)
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+)", re.IGNORECASE)
OUTCOMES = (
    "Accepted, Rejected, NotSupported, ... (the charger's status word)",
    *(str(status) for status in CommandStatus),
)


class OcppCommandSchema(ma.Schema):
    id = ma.fields.String(dump_only=True, metadata={"description": "The OCPP unique id"})
    charger = ma.fields.String(attribute="charger_name", dump_only=True)
    action = ma.fields.String(dump_only=True)
    payload = ma.fields.Dict(dump_only=True, metadata={"description": "The CALL's payload"})
    status = ma.fields.String(
        dump_only=True,
        metadata={"description": "Pending, Queued, Sent, or the outcome: " + "; ".join(OUTCOMES)},
    )
    final = ma.fields.Function(
        lambda command: is_final(command.status),
        dump_only=True,
        metadata={"description": "True once the command has its one outcome"},
    )
    response = ma.fields.Dict(
        dump_only=True, allow_none=True, metadata={"description": "The charger's full answer"}
    )
    error_code = ma.fields.String(dump_only=True, allow_none=True)
    error_description = ma.fields.String(dump_only=True, allow_none=True)
    requested_by = ma.fields.String(dump_only=True, allow_none=True)
    queue_expires_at = UTCDateTime(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)
    sent_at = UTCDateTime(dump_only=True, allow_none=True)
    completed_at = UTCDateTime(dump_only=True, allow_none=True)


class SendQuerySchema(ma.Schema):
    queue_ttl = ma.fields.Float(
        validate=QUEUE_TTL_RANGE,
        metadata={
            "description": "Seconds to keep the command for an offline charger (delivered in "
            "order when it connects, else Expired); or the `Queue-TTL` header"
        },
    )


class SendHeaderSchema(ma.Schema):
    prefer = ma.fields.String(
        data_key="Prefer",
        metadata={"description": "`respond-async`: answer 202 at once; `wait=N`: wait <= N s"},
    )
    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=ma.validate.Regexp(
            IDEMPOTENCY_KEY, error="must be 1 to 100 printable ASCII characters"
        ),
        metadata={"description": "The same key (per user) returns the same command, sent once"},
    )
    queue_ttl = ma.fields.Float(data_key="Queue-TTL", validate=QUEUE_TTL_RANGE)


class CommandQuerySchema(ma.Schema):
    charger = charger_name()
    action = one_of(COMMAND_ACTIONS)
    status = text(32)
    since = UTCDateTime(metadata={"description": "Created at or after (ISO-8601)"})
    until = UTCDateTime(metadata={"description": "Created before (ISO-8601)"})


SEND_BODY = {
    "requestBody": {
        "required": False,
        "description": "The OCPP 1.6 request payload of the action (empty means {})",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


@blp.route(f"/chargers/{CHARGER_IN_URL}/commands/<any({', '.join(COMMAND_ACTIONS)}):action>")
class SendCommand(MethodView):
    @blp.requires(Role.OPERATOR)
    @blp.arguments(SendQuerySchema, location="query")
    @blp.arguments(SendHeaderSchema, location="headers")
    @blp.response(HTTPStatus.OK, OcppCommandSchema, description="The command with its outcome")
    @blp.alt_response(HTTPStatus.ACCEPTED, schema=OcppCommandSchema, description="Not final yet")
    @blp.alt_response(HTTPStatus.BAD_REQUEST, "BAD_REQUEST")
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    @blp.doc(**SEND_BODY)
    def post(self, query, headers, name, action):
        """Send an OCPP command to a charger and wait (bounded) for its outcome"""
        payload = _ocpp_payload(action)
        wait = _wait_seconds(headers.get("prefer", ""))
        command, _created = relay().sender.send(
            CommandRequest(
                charger_name=name,
                action=action,
                payload=payload,
                requested_by=current_user.username,
                idempotency_key=headers.get("idempotency_key"),
                queue_ttl=headers.get("queue_ttl", query.get("queue_ttl")),
            ),
            wait=wait,
        )
        return _answer(command, wait)


@blp.route("/commands/")
class Commands(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(CommandQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, OcppCommandSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List commands, newest first (X-Pagination has the totals)"""
        return paged(list_commands, pagination_parameters, **query)


@blp.route("/commands/<name(36):command_id>")
class CommandDetail(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, OcppCommandSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, command_id):
        """One command: its status and, once final, its outcome"""
        with database().unit_of_work() as session:
            return get_command(session, command_id)


def start_remote_transaction(name: str, _action: str, req_data: dict[str, Any]) -> dict:
    """send-command's StartRemoteTransaction: RemoteStartTransaction with the request's
    connectorId, idTag and chargingProfile (the original design's timestamp and meterStart
    belong to the charger's StartTransaction and are not sent)."""
    payload = _pick(req_data, "connectorId", "idTag", "chargingProfile")
    return _remote_answer(_send_now(name, Action.remote_start_transaction, payload))


def stop_remote_transaction(name: str, _action: str, req_data: dict[str, Any]) -> dict:
    """send-command's StopRemoteTransaction: RemoteStopTransaction for the transactionId
    (meterStop and timestamp come from the charger's StopTransaction)."""
    payload = _pick(req_data, "transactionId")
    return _remote_answer(_send_now(name, Action.remote_stop_transaction, payload))


REMOTE_HANDLERS = {
    "StartRemoteTransaction": start_remote_transaction,
    "StopRemoteTransaction": stop_remote_transaction,
}


def _pick(req_data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: req_data[key] for key in keys if key in req_data}


def _send_now(name: str, action: Action, payload: dict[str, Any]) -> Command:
    abort_on_violations(action, _violations(action, payload), "req_data")
    command, _created = relay().sender.send(
        CommandRequest(name, action, payload, requested_by=current_user.username)
    )
    return command


def _remote_answer(command: Command) -> dict[str, Any]:
    """The charger's answer as it sent it; else the outcome (Offline, Timeout, CallError)."""
    if command.response is not None and command.error_description is None:
        return command.response
    return {
        "status": command.status,
        "command_id": command.id,
        "error_code": command.error_code,
        "error_description": command.error_description,
    }


def _ocpp_payload(action: str) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    try:
        payload = json.loads(raw, parse_constant=_not_json) if raw.strip() else {}
    except ValueError:
        abort(HTTPStatus.BAD_REQUEST, message="the body is not JSON")
    abort_on_violations(action, _violations(action, payload), "payload")
    return payload


def _not_json(constant: str):
    # Python's json accepts NaN and Infinity; JSON (and OCPP) does not.
    raise ValueError(f"{constant} is not JSON")


def _violations(action: str, payload: Any) -> list[dict[str, Any]]:
    return [violation.as_dict() for violation in schema_violations(action, payload)]


def _wait_seconds(prefer: str) -> bool | float:
    """False for `Prefer: respond-async`, else True (COMMAND_WAIT) or `wait=N` seconds."""
    if "respond-async" in prefer.lower():
        return False
    match = _PREFER_WAIT.search(prefer)
    return float(match.group(1)) if match else True


def _answer(command: Command, wait: bool | float):
    headers = {"Location": url_for("commands.CommandDetail", command_id=command.id)}
    if wait is False:
        headers["Preference-Applied"] = "respond-async"
    status = HTTPStatus.OK if is_final(command.status) else HTTPStatus.ACCEPTED
    return command, status, headers
