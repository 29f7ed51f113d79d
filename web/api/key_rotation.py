"""AuthorizationKey rotation: POST /api/chargers/{name}/authorization-key/rotate/ sends
ChangeConfiguration(AuthorizationKey) to the connected charger through the relay; the stored
key switches when it answers Accepted (domain/services/authorization_keys.py)."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import current_user
from ocpp.v16.enums import Action

from domain.errors import ChargerOffline
from domain.models import Command, CommandStatus, Role
from domain.passwords import generate_authorization_key
from domain.services.authorization_keys import AUTHORIZATION_KEY
from web.api.blueprint import ApiBlueprint
from web.api.chargers import AuthorizationKeySchema
from web.api.fields import text
from web.relay import CommandRequest, relay

blp = ApiBlueprint(
    "key-rotation",
    __name__,
    url_prefix="/api/chargers",
    description="AuthorizationKey rotation through the charger (security profiles 1 and 2).",
)

# The whitepaper's AuthorizationKey: 16 to 20 bytes as 32 to 40 hexadecimal digits.
HEX_KEY = r"^(?:[0-9A-Fa-f]{2}){16,20}$"


class RotationInputSchema(ma.Schema):
    authorization_key = text(
        40,
        min_length=32,
        pattern=HEX_KEY,
        metadata={"description": "The new key (32-40 hex digits); leave out to have one made"},
    )


class RotationSchema(AuthorizationKeySchema):
    command_id = ma.fields.String(
        attribute="command.id", metadata={"description": "The ChangeConfiguration sent"}
    )
    status = ma.fields.String(
        attribute="command.status",
        metadata={
            "description": "The charger's answer (Accepted: the new key is stored) or the "
            "command's outcome (Timeout, CallError: the old key stays)"
        },
    )


@dataclass(frozen=True)
class Rotation:
    authorization_key: str
    command: Command


@blp.route("/<name(48):name>/authorization-key/rotate/")
class AuthorizationKeyRotation(MethodView):
    @blp.requires(Role.ADMIN)
    @blp.arguments(RotationInputSchema, required=False)
    @blp.response(HTTPStatus.OK, RotationSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def post(self, body, name):
        """Send a new AuthorizationKey (given or generated) to the connected charger; stored
        when it answers Accepted, the old one working until the new one's first login"""
        key = body.get("authorization_key") or generate_authorization_key()
        command, _created = relay().sender.send(
            CommandRequest(
                charger_name=name,
                action=Action.change_configuration,
                payload={"key": AUTHORIZATION_KEY, "value": key},
                requested_by=current_user.username,
            )
        )
        if command.status == CommandStatus.OFFLINE:
            raise ChargerOffline(f"charger {name!r} is not connected: its key was not changed")
        return Rotation(key, command)
