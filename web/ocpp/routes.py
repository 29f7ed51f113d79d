"""The charger-facing WebSocket routes, and every check made before the upgrade.

A charger is refused with a plain HTTP answer (never an upgraded-then-closed socket):
400 when it does not offer the `ocpp1.6` subprotocol or its identity is longer than 48
characters, 404 when it is unknown (unless OCPP_AUTO_REGISTER creates it as Pending),
401 when it has an AuthorizationKey and the Basic credentials are missing or wrong.
"""

from __future__ import annotations

import base64
import binascii
import logging

from flask import Blueprint, current_app, g, jsonify, request
from flask_sock import Sock
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from domain.errors import Conflict
from domain.models import RegistrationStatus
from domain.passwords import verify_secret
from domain.services.chargers import create_charger, find_charger
from web.extensions import database, settings

log = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"
MAX_IDENTITY_LENGTH = 48
NODE_KEY = "voltline.ocpp"

blueprint = Blueprint("ocpp", __name__)
sock = Sock()


def _refusal(status: int, message: str, name: str | None):
    log.warning(
        "charger refused before upgrade",
        extra={"charger_id": name, "outcome": status, "reason": message},
    )
    response = jsonify({"code": status, "status": "refused", "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Voltline OCPP", charset="UTF-8"'
    return response


def offered_subprotocols() -> list[str]:
    header = request.headers.get("Sec-WebSocket-Protocol", "")
    return [token.strip() for token in header.split(",") if token.strip()]


def basic_credentials() -> tuple[str, str] | None:
    """(user, password) from an HTTP Basic Authorization header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def _key_hash_for(name: str) -> tuple[bool, str | None]:
    """(known, authorization key hash) for charger `name`, creating it as Pending when
    OCPP_AUTO_REGISTER is on."""
    with database().unit_of_work() as session:
        charger = find_charger(session, name)
        if charger is not None:
            return True, charger.authorization_key_hash
        if not settings().ocpp_auto_register:
            return False, None
    try:
        with database().unit_of_work() as session:
            create_charger(session, name, registration_status=RegistrationStatus.PENDING)
        log.info("charger auto-registered as Pending", extra={"charger_id": name})
    except (Conflict, IntegrityError):
        pass  # registered meanwhile by its own concurrent connection attempt
    return _key_hash_for(name)


@blueprint.before_request
def check_before_upgrade():
    """Refuse with an HTTP status, or leave the charger name in `g` for the socket."""
    name = (request.view_args or {}).get("charge_point_id")
    if name is None:
        return None
    if SUBPROTOCOL not in offered_subprotocols():
        return _refusal(400, f"the WebSocket subprotocol {SUBPROTOCOL} must be offered", name)
    if not name or len(name) > MAX_IDENTITY_LENGTH:
        return _refusal(
            400, f"charge point identity must be 1 to {MAX_IDENTITY_LENGTH} characters", name
        )
    try:
        known, key_hash = _key_hash_for(name)
    except SQLAlchemyError:
        log.exception("charger lookup failed", extra={"charger_id": name})
        return _refusal(503, "the central system cannot reach its database", name)
    if not known:
        return _refusal(404, f"unknown charge point {name}", name)
    if key_hash is not None:
        credentials = basic_credentials()
        # Always hash, so a wrong user name takes as long as a wrong password.
        password_ok = verify_secret(credentials[1] if credentials else "", key_hash)
        if credentials is None or credentials[0] != name or not password_ok:
            return _refusal(401, "HTTP Basic credentials missing or wrong", name)
    g.ocpp_charger_name = name
    return None


@sock.route("/ocpp/<charge_point_id>", bp=blueprint, endpoint="socket")
def charger_socket(ws, charge_point_id: str) -> None:
    current_app.extensions[NODE_KEY].serve(ws, g.ocpp_charger_name)


@sock.route(
    "/ws/ocpp/<charge_point_id>/", bp=blueprint, endpoint="legacy_socket", strict_slashes=False
)
def legacy_charger_socket(ws, charge_point_id: str) -> None:
    current_app.extensions[NODE_KEY].serve(ws, g.ocpp_charger_name)
