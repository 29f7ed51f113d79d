"""Charger records: lookup, creation and the original design's seed chargers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import Conflict, NotFound
from domain.models import Charger, Connector, RegistrationStatus
from domain.passwords import CHARGER_KEY_ITERATIONS, hash_secret

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


def ensure_connector(session: Session, charger: Charger, connector_id: int) -> Connector:
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


def create_charger(
    session: Session,
    name: str,
    *,
    location: str | None = None,
    authorization_key: str | None = None,
    registration_status: str = RegistrationStatus.ACCEPTED,
    connector_ids: tuple[int, ...] = (),
) -> Charger:
    """Add a charger (flushed); raises Conflict when the name is taken."""
    if find_charger(session, name) is not None:
        raise Conflict(f"charger {name!r} already exists")
    charger = Charger(
        name=name,
        location=location,
        registration_status=registration_status,
        authorization_key_hash=(
            hash_secret(authorization_key, CHARGER_KEY_ITERATIONS) if authorization_key else None
        ),
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
