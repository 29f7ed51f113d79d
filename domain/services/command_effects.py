"""What a charger's answer to a command tells us, kept: configuration keys, the local list
version, reservations, charging profiles, and which transactions were started remotely."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ocpp.v16.enums import (
    Action,
    CancelReservationStatus,
    CertificateSignedStatus,
    ChargingProfileStatus,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    UpdateStatus,
)
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from domain.clock import parse_timestamp, utcnow
from domain.db import statement_connection
from domain.models import (
    Charger,
    ChargingProfile,
    Command,
    CommandStatus,
    ConfigurationKey,
    Reservation,
    Transaction,
    TransactionType,
)
from domain.services import authorization_keys
from domain.services.certificates import keep_charger_certificate
from domain.services.charger_access import SECURITY_PROFILE_KEY, raise_security_profile
from domain.services.reservations import ReservationState

# How long after a RemoteStartTransaction the charger's StartTransaction counts as its result:
# generous against the spec's ConnectionTimeOut (the time a driver has to plug in).
REMOTE_START_WINDOW = timedelta(minutes=10)

# Built once: the charger's RemoteStartTransactions since then that a new transaction may
# answer (bound: b_charger, b_since).
_REMOTE_START_ASKED = (
    Command.charger_id == bindparam("b_charger"),
    Command.action == Action.remote_start_transaction,
    Command.status.in_((RemoteStartStopStatus.accepted, CommandStatus.SENT)),
    Command.created_at >= bindparam("b_since"),
)
_REMOTE_STARTS = select(Command.payload, Command.created_at).where(*_REMOTE_START_ASKED)
# Whether there is any: rides along with another statement of the StartTransaction, so the
# common start (no remote start asked for) needs no round trip of its own.
REMOTE_START_ASKED = select(Command.id).where(*_REMOTE_START_ASKED).exists()


def remote_start_window(now: datetime) -> datetime:
    """Where REMOTE_START_ASKED's b_since lies for a start at `now`."""
    return now - REMOTE_START_WINDOW


def apply_answer(session: Session, command: Command) -> None:
    """Keep what the (schema-valid) answer to `command` says about the charger; flushed."""
    effect = _EFFECTS.get(command.action)
    if effect is not None:
        effect(session, command, command.response or {})
        session.flush()


def mark_if_remote_started(
    session: Session,
    transaction_id: int,
    *,
    charger_id: int,
    id_tag: str,
    connector_id: int,
    now: datetime | None = None,
) -> bool:
    """Set the type of the charger's new transaction `transaction_id` (idTag `id_tag` on OCPP
    connector `connector_id`) to Remote when it answers a RemoteStartTransaction; written in
    the session's transaction, not committed.

    It does when a RemoteStartTransaction for this charger and idTag (and this connector, if
    the command named one) was accepted - or is still awaiting its answer, which can arrive
    after the StartTransaction - within REMOTE_START_WINDOW, and not every such command has
    already been matched by a remote transaction. Returns whether it marked the transaction.
    """
    now = now or utcnow()
    candidates = [
        created_at
        for payload, created_at in statement_connection(session).execute(
            _REMOTE_STARTS, {"b_charger": charger_id, "b_since": remote_start_window(now)}
        )
        if payload.get("idTag") == id_tag
        and payload.get("connectorId", connector_id) == connector_id
    ]
    if not candidates:
        return False
    already_matched = session.scalar(
        select(func.count()).where(
            Transaction.charger_id == charger_id,
            Transaction.id_tag == id_tag,
            Transaction.type == TransactionType.REMOTE,
            Transaction.created_at >= min(candidates),
            Transaction.id != transaction_id,
        )
    )
    if already_matched >= len(candidates):
        return False
    transactions = Transaction.__table__
    session.execute(
        update(transactions)
        .where(transactions.c.id == transaction_id)
        .values({transactions.c.type: TransactionType.REMOTE})
    )
    return True


def _configuration_read(session: Session, command: Command, answer: dict) -> None:
    for entry in authorization_keys.redact(command.action, answer).get("configurationKey", []):
        _store_key(session, command.charger_id, entry["key"], entry.get("value"), entry["readonly"])
    unknown = answer.get("unknownKey", [])
    if unknown:
        session.execute(
            delete(ConfigurationKey).where(
                ConfigurationKey.charger_id == command.charger_id,
                ConfigurationKey.key.in_(unknown),
            )
        )


def _configuration_changed(session: Session, command: Command, answer: dict) -> None:
    key = command.payload["key"]
    charger = session.get(Charger, command.charger_id)
    if answer["status"] not in (ConfigurationStatus.accepted, ConfigurationStatus.reboot_required):
        if key == authorization_keys.AUTHORIZATION_KEY:
            authorization_keys.key_change_refused(charger, command.id)
        return
    if key == authorization_keys.AUTHORIZATION_KEY:
        authorization_keys.key_change_accepted(charger, command.id)
    elif key == SECURITY_PROFILE_KEY and answer["status"] == ConfigurationStatus.accepted:
        # The whitepaper: the charger reconnects with the new profile once it has accepted.
        raise_security_profile(charger, command.payload["value"])
    _store_key(session, command.charger_id, key, command.payload["value"])


def _store_key(
    session: Session, charger_id: int, key: str, value: str | None, readonly: bool | None = None
) -> None:
    row = session.scalar(
        select(ConfigurationKey).where(
            ConfigurationKey.charger_id == charger_id, ConfigurationKey.key == key
        )
    )
    if row is None:
        row = ConfigurationKey(charger_id=charger_id, key=key)
        session.add(row)
    row.value = value
    if readonly is not None:
        row.readonly = readonly
    row.updated_at = utcnow()


def _local_list_sent(session: Session, command: Command, answer: dict) -> None:
    if answer["status"] == UpdateStatus.accepted:
        _set_list_version(session, command.charger_id, command.payload["listVersion"])


def _local_list_version_read(session: Session, command: Command, answer: dict) -> None:
    _set_list_version(session, command.charger_id, answer["listVersion"])


def _set_list_version(session: Session, charger_id: int, version: int) -> None:
    session.get(Charger, charger_id).local_list_version = version


def _reserved(session: Session, command: Command, answer: dict) -> None:
    if answer["status"] != ReservationStatus.accepted:
        return
    request = command.payload
    reservation = session.scalar(
        select(Reservation).where(
            Reservation.reservation_id == request["reservationId"],
            Reservation.charger_id == command.charger_id,
        )
    )
    if reservation is None:
        reservation = Reservation(
            reservation_id=request["reservationId"], charger_id=command.charger_id
        )
        session.add(reservation)
    # The spec: a ReserveNow with a known reservationId replaces that reservation.
    reservation.connector_id = request["connectorId"]
    reservation.id_tag = request["idTag"]
    reservation.parent_id_tag = request.get("parentIdTag")
    reservation.expiry_date = parse_timestamp(request["expiryDate"])
    reservation.status = ReservationState.ACTIVE


def _reservation_cancelled(session: Session, command: Command, answer: dict) -> None:
    if answer["status"] != CancelReservationStatus.accepted:
        return
    reservation = session.scalar(
        select(Reservation).where(
            Reservation.reservation_id == command.payload["reservationId"],
            Reservation.charger_id == command.charger_id,
        )
    )
    if reservation is not None:
        reservation.status = ReservationState.CANCELLED


def _profile_set(session: Session, command: Command, answer: dict) -> None:
    if answer["status"] != ChargingProfileStatus.accepted:
        return
    profile = command.payload["csChargingProfiles"]
    connector_id = command.payload["connectorId"]
    # The spec: the new profile replaces one with the same id, or with the same stack level
    # and purpose on the same connector.
    session.execute(
        delete(ChargingProfile).where(
            ChargingProfile.charger_id == command.charger_id,
            (ChargingProfile.profile_id == profile["chargingProfileId"])
            | (
                (ChargingProfile.connector_id == connector_id)
                & (ChargingProfile.stack_level == profile["stackLevel"])
                & (ChargingProfile.purpose == profile["chargingProfilePurpose"])
            ),
        )
    )
    session.add(
        ChargingProfile(
            charger_id=command.charger_id,
            connector_id=connector_id,
            profile_id=profile["chargingProfileId"],
            stack_level=profile["stackLevel"],
            purpose=profile["chargingProfilePurpose"],
            profile=profile,
        )
    )


def _profiles_cleared(session: Session, command: Command, answer: dict) -> None:
    if answer["status"] != ClearChargingProfileStatus.accepted:
        return
    request = command.payload
    matching = delete(ChargingProfile).where(ChargingProfile.charger_id == command.charger_id)
    if "id" in request:
        matching = matching.where(ChargingProfile.profile_id == request["id"])
    else:
        if "connectorId" in request:
            matching = matching.where(ChargingProfile.connector_id == request["connectorId"])
        if "chargingProfilePurpose" in request:
            matching = matching.where(ChargingProfile.purpose == request["chargingProfilePurpose"])
        if "stackLevel" in request:
            matching = matching.where(ChargingProfile.stack_level == request["stackLevel"])
    session.execute(matching)


def _certificate_signed(session: Session, command: Command, answer: dict) -> None:
    if answer["status"] == CertificateSignedStatus.accepted:
        charger = session.get(Charger, command.charger_id)
        keep_charger_certificate(charger, command.payload["certificateChain"])


_EFFECTS: dict[str, Callable[[Session, Command, dict], None]] = {
    Action.get_configuration: _configuration_read,
    Action.change_configuration: _configuration_changed,
    Action.send_local_list: _local_list_sent,
    Action.get_local_list_version: _local_list_version_read,
    Action.reserve_now: _reserved,
    Action.cancel_reservation: _reservation_cancelled,
    Action.set_charging_profile: _profile_set,
    Action.clear_charging_profile: _profiles_cleared,
    Action.certificate_signed: _certificate_signed,
}
