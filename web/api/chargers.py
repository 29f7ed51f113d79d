"""Chargers: list, connected, detail; admins create, edit, delete and set (provision)
AuthorizationKeys (rotation: web/api/key_rotation.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import current_user
from ocpp.v16.enums import Action

from domain.events import recorded_events
from domain.models import Charger, ChargerStatus, RegistrationStatus, Role
from domain.passwords import generate_authorization_key
from domain.queries.chargers import charger_detail, connected_chargers, list_chargers
from domain.services import chargers as charger_service
from domain.services.charger_access import SecurityProfile
from web.api.blueprint import ApiBlueprint, paged
from web.api.connectors import ChargerConnectorSchema
from web.api.fields import (
    CHARGER_IN_URL,
    CHARGER_NAME_LENGTH,
    StrictBoolean,
    UTCDateTime,
    charger_name,
    one_of,
    text,
)
from web.extensions import database, event_bus
from web.relay import CommandRequest, relay

log = logging.getLogger(__name__)

blp = ApiBlueprint("chargers", __name__, url_prefix="/api/chargers", description="Chargers.")

# The OCPP security whitepaper's AuthorizationKey: 16 to 40 printable ASCII characters.
PRINTABLE_KEY = r"^[\x21-\x7e]+$"
CONNECTOR_ID = ma.validate.Range(min=1, max=2**31 - 1)
# GET /api/chargers/connected/ is the list of connected chargers and /api/chargers/health/ the
# fleet's health ranking (web/api/health.py), so no charger has either name.
CONNECTED = "connected"
HEALTH = "health"
RESERVED = "|".join(sorted(charger_service.RESERVED_CHARGER_NAMES))
# A charger's own URL part under /api/chargers/, where those names mean the lists instead.
CHARGER_UNDER_CHARGERS = f"<name({CHARGER_NAME_LENGTH}, reserved='{RESERVED}'):name>"


def authorization_key(**kwargs):
    return text(40, min_length=16, pattern=PRINTABLE_KEY, **kwargs)


def security_profile(**kwargs):
    return ma.fields.Integer(
        strict=True,
        validate=ma.validate.OneOf(list(SecurityProfile)),
        metadata={
            "description": "OCPP security profile: 0 none, 1 HTTP Basic, 2 Basic over TLS, "
            "3 TLS client certificate (CN = the charger's name)"
        },
        **kwargs,
    )


@dataclass(frozen=True)
class NewCharger:
    charger: Charger
    authorization_key: str | None


class IsSet(ma.fields.Boolean):
    """True when the attribute has a value (shows that a secret exists, never the secret)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value is not None


class ChargerSchema(ma.Schema):
    name = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(ChargerStatus)})
    registration_status = ma.fields.String(
        dump_only=True, metadata={"enum": list(RegistrationStatus)}
    )
    location = ma.fields.String(dump_only=True, allow_none=True)
    last_communication = UTCDateTime(dump_only=True, allow_none=True)
    last_heartbeat = UTCDateTime(dump_only=True, allow_none=True)
    last_boot_at = UTCDateTime(dump_only=True, allow_none=True)
    vendor = ma.fields.String(dump_only=True, allow_none=True)
    model = ma.fields.String(dump_only=True, allow_none=True)
    serial_number = ma.fields.String(dump_only=True, allow_none=True)
    box_serial_number = ma.fields.String(dump_only=True, allow_none=True)
    firmware_version = ma.fields.String(dump_only=True, allow_none=True)
    iccid = ma.fields.String(dump_only=True, allow_none=True)
    imsi = ma.fields.String(dump_only=True, allow_none=True)
    meter_type = ma.fields.String(dump_only=True, allow_none=True)
    meter_serial_number = ma.fields.String(dump_only=True, allow_none=True)
    id_tag = ma.fields.String(dump_only=True, metadata={"description": "The charger's own idTag"})
    has_authorization_key = IsSet(
        attribute="authorization_key_hash",
        dump_only=True,
        metadata={"description": "Whether the charger must send HTTP Basic credentials"},
    )
    firmware_status = ma.fields.String(dump_only=True, allow_none=True)
    diagnostics_status = ma.fields.String(dump_only=True, allow_none=True)
    local_list_version = ma.fields.Integer(dump_only=True, allow_none=True)
    security_profile = security_profile(dump_only=True)
    certificate_serial = ma.fields.String(
        dump_only=True, allow_none=True, metadata={"description": "Hexadecimal"}
    )
    certificate_expires_at = UTCDateTime(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)
    connectors = ma.fields.List(ma.fields.Nested(ChargerConnectorSchema), dump_only=True)


class ChargerCreatedSchema(ChargerSchema):
    """Dumps a NewCharger."""

    authorization_key = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The AuthorizationKey, shown this once and never again"},
    )

    def get_attribute(self, obj, attr, default):
        if attr == "authorization_key":
            return obj.authorization_key
        return super().get_attribute(obj.charger, attr, default)


class ChargerQuerySchema(ma.Schema):
    status = one_of(ChargerStatus)
    registration_status = one_of(RegistrationStatus)
    search = text(48, metadata={"description": "Part of the name or location, any case"})


class ChargerCreateSchema(ma.Schema):
    name = charger_name(
        required=True, reserved=RESERVED, metadata={"description": "The charge point identity"}
    )
    location = text(255, allow_none=True)
    registration_status = one_of(RegistrationStatus, load_default=RegistrationStatus.ACCEPTED)
    connector_ids = ma.fields.List(
        ma.fields.Integer(validate=CONNECTOR_ID),
        load_default=list,
        validate=ma.validate.Length(max=64),
    )
    authorization_key = authorization_key(
        metadata={"description": "HTTP Basic password for the charger (security profile 1/2)"}
    )
    generate_authorization_key = StrictBoolean(
        load_default=False,
        metadata={"description": "Make a random AuthorizationKey if none is given"},
    )
    security_profile = security_profile(load_default=0)


class ChargerUpdateSchema(ma.Schema):
    location = text(255, allow_none=True)
    registration_status = one_of(RegistrationStatus)
    security_profile = security_profile()


class AuthorizationKeyInputSchema(ma.Schema):
    authorization_key = authorization_key(
        metadata={"description": "The new key; leave out to have one generated"}
    )


class AuthorizationKeySchema(ma.Schema):
    authorization_key = ma.fields.String(
        required=True, metadata={"description": "Shown this once and never again"}
    )


@blp.route("/")
class Chargers(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(ChargerQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, ChargerSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List chargers by name"""
        return paged(list_chargers, pagination_parameters, **query)

    @blp.requires(Role.ADMIN)
    @blp.arguments(ChargerCreateSchema)
    @blp.response(HTTPStatus.CREATED, ChargerCreatedSchema)
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def post(self, body):
        """Register a charger, optionally with an AuthorizationKey (returned once)"""
        key = body.pop("authorization_key", None)
        if body.pop("generate_authorization_key") and key is None:
            key = generate_authorization_key()
        connector_ids = tuple(sorted(set(body.pop("connector_ids"))))
        with database().unit_of_work() as session:
            charger_service.create_charger(
                session, authorization_key=key, connector_ids=connector_ids, **body
            )
            return NewCharger(charger_detail(session, body["name"]), key)


@blp.route(f"/{CONNECTED}/")
class Connected(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, ChargerSchema(many=True))
    def get(self):
        """Chargers whose socket is open (a bare JSON array, as in the original design)"""
        with database().unit_of_work() as session:
            return connected_chargers(session)


@blp.route(f"/{CHARGER_UNDER_CHARGERS}/")
class ChargerDetail(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, ChargerSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, name):
        """One charger with its connectors"""
        with database().unit_of_work() as session:
            return charger_detail(session, name)

    @blp.requires(Role.ADMIN)
    @blp.arguments(ChargerUpdateSchema, required=False)
    @blp.response(HTTPStatus.OK, ChargerSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def patch(self, changes, name):
        """Change the location or registration status (Accepted/Pending/Rejected); accepting
        a Pending charger sends it TriggerMessage(BootNotification)"""
        with database().unit_of_work() as session:
            previous = charger_service.get_charger(session, name).registration_status
            charger = charger_service.update_charger(session, name, **changes)
            trigger = charger_service.boot_trigger(previous, charger)
            detail = charger_detail(session, name)
            changed = recorded_events(session)
        event_bus().publish(changed)
        if trigger is not None:
            _send_after_commit(name, Action.trigger_message, trigger)
        return detail

    @blp.requires(Role.ADMIN)
    @blp.response(HTTPStatus.NO_CONTENT)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def delete(self, name):
        """Delete a disconnected charger and its records (its message log is kept)"""
        with database().unit_of_work() as session:
            charger_service.delete_charger(session, name)
            changed = recorded_events(session)
        event_bus().publish(changed)


@blp.route(f"/{CHARGER_IN_URL}/authorization-key/")
class AuthorizationKey(MethodView):
    @blp.requires(Role.ADMIN)
    @blp.arguments(AuthorizationKeyInputSchema, required=False)
    @blp.response(HTTPStatus.OK, AuthorizationKeySchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def post(self, body, name):
        """Set or generate the charger's AuthorizationKey (returned once)"""
        with database().unit_of_work() as session:
            if "authorization_key" in body:
                charger_service.set_authorization_key(session, name, body["authorization_key"])
                return body
            return {
                "authorization_key": charger_service.regenerate_authorization_key(session, name)
            }

    @blp.requires(Role.ADMIN)
    @blp.response(HTTPStatus.NO_CONTENT)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def delete(self, name):
        """Remove the AuthorizationKey: the charger then connects without HTTP Basic auth"""
        with database().unit_of_work() as session:
            charger_service.set_authorization_key(session, name, None)


def _send_after_commit(name: str, action: Action, payload: dict) -> None:
    """Send a command the committed change calls for, without waiting for its outcome (it is
    recorded on the command). A relay failure is logged: the change itself stands."""
    try:
        relay().sender.send(
            CommandRequest(name, action, payload, requested_by=current_user.username), wait=False
        )
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("command after charger change not sent", extra={"charger_id": name})
