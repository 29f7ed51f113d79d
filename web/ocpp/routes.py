"""The charger-facing WebSocket routes, and every check made before the upgrade.

A charger is refused with a plain HTTP answer (never an upgraded-then-closed socket):
400 when it does not offer the `ocpp1.6` subprotocol or its identity is longer than 48
characters, 404 when it is unknown (unless OCPP_AUTO_REGISTER creates it as Pending),
401 when its HTTP Basic credentials are missing or wrong (it has an AuthorizationKey, or its
security profile is 1 or 2), 403 when the connection does not meet its security profile (not
TLS for profile 2 or 3; no client certificate for this identity for profile 3).
"""

from __future__ import annotations

import base64
import binascii
import logging

from flask import Blueprint, current_app, g, jsonify, request
from flask_sock import Sock
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from domain.errors import Conflict, NotFound
from domain.models import RegistrationStatus
from domain.models.chargers import CHARGER_NAME_LENGTH
from domain.services.charger_access import (
    Admission,
    ConnectionFacts,
    RefusalKind,
    admit_connection,
)
from domain.services.chargers import RESERVED_CHARGER_NAMES, create_charger
from web.extensions import database, settings
from web.tls import connection_security

log = logging.getLogger(__name__)

SUBPROTOCOL = "ocpp1.6"
MAX_IDENTITY_LENGTH = CHARGER_NAME_LENGTH
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


def basic_credentials() -> tuple[str, bytes] | None:
    """(user, password bytes) from an HTTP Basic Authorization header, or None. The
    password stays bytes: the whitepaper's AuthorizationKey is any 16 to 20 bytes."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        user, separator, password = decoded.partition(b":")
        return (user.decode("utf-8"), password) if separator else None
    except (binascii.Error, UnicodeDecodeError):
        return None


def _admission(name: str, registered: bool = False) -> Admission:
    """What `admit_connection` decides, committed (a first login with a rotated-to key
    retires the previous one). Raises NotFound for an unknown charger, unless
    OCPP_AUTO_REGISTER creates it as Pending first."""
    security = connection_security(request.environ, settings())
    facts = ConnectionFacts(
        security.tls, security.certificate_cn, basic_credentials(), security.certificate_pem
    )
    with database().unit_of_work() as session:
        admission = admit_connection(session, name, facts, settings().cpo_name)
    if admission is not None:
        return admission
    if registered or not settings().ocpp_auto_register or name in RESERVED_CHARGER_NAMES:
        raise NotFound(f"unknown charge point {name}")
    try:
        with database().unit_of_work() as session:
            create_charger(session, name, registration_status=RegistrationStatus.PENDING)
        log.info("charger auto-registered as Pending", extra={"charger_id": name})
    except (Conflict, IntegrityError):
        pass  # registered meanwhile by its own concurrent connection attempt
    return _admission(name, registered=True)


@blueprint.before_request
def check_before_upgrade():
    """Refuse with an HTTP status, or leave the charger name and its snapshot (read with
    the admission) in `g` for the socket."""
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
        admission = _admission(name)
    except NotFound as unknown:
        return _refusal(404, unknown.message, name)
    except SQLAlchemyError:
        log.exception("charger lookup failed", extra={"charger_id": name})
        return _refusal(503, "the central system cannot reach its database", name)
    if admission.refusal is not None:
        status = 401 if admission.refusal.kind is RefusalKind.CREDENTIALS else 403
        return _refusal(status, admission.refusal.reason, name)
    g.ocpp_charger_name = name
    g.ocpp_snapshot = admission.snapshot
    return None


@sock.route("/ocpp/<charge_point_id>", bp=blueprint, endpoint="socket")
def charger_socket(ws, charge_point_id: str) -> None:
    current_app.extensions[NODE_KEY].serve(ws, g.ocpp_charger_name, g.ocpp_snapshot)


@sock.route(
    "/ws/ocpp/<charge_point_id>/", bp=blueprint, endpoint="legacy_socket", strict_slashes=False
)
def legacy_charger_socket(ws, charge_point_id: str) -> None:
    current_app.extensions[NODE_KEY].serve(ws, g.ocpp_charger_name, g.ocpp_snapshot)
