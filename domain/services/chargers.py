"""Charger records: lookup, creation and the original design's seed chargers."""

from __future__ import annotations

from ocpp.v16.enums import MessageTrigger
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import ChargerChanged, record_event
from domain.models import Charger, ChargerStatus, Connector, RegistrationStatus
from domain.passwords import generate_authorization_key
from domain.services.authorization_keys import key_hash, set_key
from domain.services.charger_access import security_profile as valid_security_profile
from domain.services.charger_snapshots import ChargerSnapshot

SEED_CHARGERS = (("charger_1", "Tagmo3"), ("charger_2", "Zayed"), ("charger_3", "Shrouk"))
SEED_CONNECTOR_IDS = (1, 2)


def connector_tag(connector_id: int) -> str:
    return f"connector_{connector_id}"


def find_charger(session: Session, name: str) -> Charger | None:
    return session.scalar(select(Charger).where(Charger.name == name))


def get_charger(session: Session, name: str) -> Charger:
    """The charger called `name`; raises NotFound."""
    charger = find_charger(session, name)
    if charger is None:
        raise NotFound(f"charger {name!r} not found")
    return charger


def ensure_connector(
    session: Session, charger: Charger | ChargerSnapshot, connector_id: int
) -> Connector:
    """The charger's connector with this OCPP id, created on first sight (flushed)."""
    connector = session.scalar(
        select(Connector).where(
            Connector.charger_id == charger.id, Connector.connector_id == connector_id
        )
    )
    if connector is None:
        connector = Connector(
            charger_id=charger.id,
            connector_id=connector_id,
            connector_tag=connector_tag(connector_id),
        )
        session.add(connector)
        session.flush()
    return connector


def connector_pk(session: Session, charger: Charger | ChargerSnapshot, connector_id: int) -> int:
    """The primary key of the charger's connector with this OCPP id: from the socket's
    snapshot when it has it, else read without loading the row (created on first sight,
    flushed)."""
    if isinstance(charger, ChargerSnapshot) and connector_id in charger.connectors:
        return charger.connectors[connector_id]
    found = session.scalar(
        select(Connector.id).where(
            Connector.charger_id == charger.id, Connector.connector_id == connector_id
        )
    )
    return ensure_connector(session, charger, connector_id).id if found is None else found


# Words the REST API uses beside charger names under /api/chargers/ (the connected list, the
# fleet's health ranking): no charger may be called one of them.
RESERVED_CHARGER_NAMES = frozenset({"connected", "health"})


def create_charger(
    session: Session,
    name: str,
    *,
    location: str | None = None,
    authorization_key: str | None = None,
    registration_status: str = RegistrationStatus.ACCEPTED,
    connector_ids: tuple[int, ...] = (),
    security_profile: int = 0,
) -> Charger:
    """Add a charger (flushed); raises Conflict when the name is taken, InvalidInput for a
    reserved name or a security profile other than 0-3."""
    if name in RESERVED_CHARGER_NAMES:
        raise InvalidInput(f"{name!r} is reserved by the API and cannot name a charger")
    if find_charger(session, name) is not None:
        raise Conflict(f"charger {name!r} already exists")
    charger = Charger(
        name=name,
        location=location,
        registration_status=registration_status,
        authorization_key_hash=key_hash(authorization_key),
        security_profile=valid_security_profile(security_profile),
    )
    session.add(charger)
    session.flush()
    for connector_id in connector_ids:
        ensure_connector(session, charger, connector_id)
    return charger


def create_seed_chargers(session: Session) -> list[str]:
    """Create charger_1..3 with connector_1 and connector_2 where missing.

    Idempotent; returns the names it created.
    """
    created = []
    for name, location in SEED_CHARGERS:
        charger = find_charger(session, name)
        if charger is None:
            charger = create_charger(session, name, location=location)
            created.append(name)
        for connector_id in SEED_CONNECTOR_IDS:
            ensure_connector(session, charger, connector_id)
    return created


EDITABLE = frozenset({"location", "registration_status", "security_profile"})


def update_charger(session: Session, name: str, **changes) -> Charger:
    """Set the location, registration status and/or security profile (flushed); a Pending or
    Rejected charger gets that answer to its next BootNotification; the profile (0-3, which
    an operator may also lower) applies from the charger's next connection.

    Raises NotFound, or InvalidInput for another field, an unknown registration status or
    security profile."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a charger")
    status = changes.get("registration_status", RegistrationStatus.ACCEPTED)
    if status not in set(RegistrationStatus):
        raise InvalidInput(f"registration_status must be one of {', '.join(RegistrationStatus)}")
    if "security_profile" in changes:
        changes["security_profile"] = valid_security_profile(changes["security_profile"])
    charger = get_charger(session, name)
    for field, value in changes.items():
        setattr(charger, field, value)
    session.flush()
    record_event(session, ChargerChanged(name))
    return charger


def boot_trigger(previous_status: str, charger: Charger) -> dict[str, str] | None:
    """The TriggerMessage payload that asks `charger` to send BootNotification again when it
    has just been accepted from Pending, else None. A Pending charger only learns it is
    Accepted from a BootNotification.conf, and it waits for its retry interval before the
    next one unless triggered (OCPP 1.6 sections 4.2 and 5.17)."""
    if (
        previous_status == RegistrationStatus.PENDING
        and charger.registration_status == RegistrationStatus.ACCEPTED
    ):
        return {"requestedMessage": MessageTrigger.boot_notification.value}
    return None


def delete_charger(session: Session, name: str) -> None:
    """Remove a charger with its connectors, transactions, meter values, status logs and
    commands (flushed); its OCPP message log stays for audits.

    Raises NotFound, or Conflict while the charger is connected."""
    charger = get_charger(session, name)
    if charger.status == ChargerStatus.CONNECTED:
        raise Conflict(f"charger {name!r} is connected; disconnect it before deleting it")
    # Rows below the charger go by the database's ON DELETE CASCADE.
    session.execute(delete(Charger).where(Charger.id == charger.id))
    record_event(session, ChargerChanged(name))


def set_authorization_key(session: Session, name: str, authorization_key: str | None) -> Charger:
    """Provisioning: store the hash of the charger's HTTP Basic password, or None to need
    none (flushed); it replaces every earlier key at once. Raises NotFound."""
    charger = get_charger(session, name)
    set_key(charger, authorization_key)
    session.flush()
    return charger


def regenerate_authorization_key(session: Session, name: str) -> str:
    """Give the charger a new random AuthorizationKey (flushed) and return it: the only
    time it can be read. Raises NotFound."""
    authorization_key = generate_authorization_key()
    set_authorization_key(session, name, authorization_key)
    return authorization_key
