"""What a charger's socket keeps about its charger between messages: the row id, name,
registration status, own idTag and connectors. Charger-initiated calls are answered from it
instead of loading the Charger and Connector rows each time.

The handshake's admission reads it with the charger's row (`charger_access.admit_connection`)
and the socket's opening checks it against the row it marks Connected; it is taken again
after a message naming a connector not yet stored; an operator's change
(`domain.events.ChargerChanged`, also recorded by a BootNotification that finds the snapshot
differing from the row) reaches the socket through the relay, which takes it again. Should
that relay message be lost, the socket node's periodic check (`stale_snapshots`, every
PRESENCE_TTL / 3 seconds) takes it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.db import Database, statement_connection
from domain.errors import ChargerNotRegistered
from domain.models import Charger, Connector


@dataclass(frozen=True, eq=False, slots=True)  # one per live socket: no __dict__
class ChargerSnapshot:
    id: int
    name: str
    registration_status: str
    id_tag: str
    # OCPP connector id -> Connector row id
    connectors: Mapping[int, int]

    def knows_connector(self, connector_id: int) -> bool:
        """Connector 0 (the charger as a whole) has no row: always known."""
        return connector_id == 0 or connector_id in self.connectors


_CHARGERS = Charger.__table__
_CONNECTORS = Connector.__table__
# Built once: run on the connection, a statement built per call costs several times more.
_SNAPSHOT_ROW = select(_CHARGERS.c.id, _CHARGERS.c.registration_status, _CHARGERS.c.id_tag).where(
    _CHARGERS.c.name == bindparam("name")
)
_SNAPSHOT_CONNECTORS = select(_CONNECTORS.c.connector_id, _CONNECTORS.c.id).where(
    _CONNECTORS.c.charger_id == bindparam("charger_id")
)


def take_snapshot(session: Session, name: str) -> ChargerSnapshot | None:
    """The charger's snapshot as stored now (two reads); None when it is not registered."""
    row = session.connection().execute(_SNAPSHOT_ROW, {"name": name}).one_or_none()
    if row is None:
        return None
    return snapshot_of(session, row.id, name, row.registration_status, row.id_tag)


def snapshot_of(
    session: Session, charger_id: int, name: str, registration_status: str, id_tag: str
) -> ChargerSnapshot:
    """The snapshot of a charger whose row the caller has just read (its connectors: one
    read)."""
    connectors = session.connection().execute(_SNAPSHOT_CONNECTORS, {"charger_id": charger_id})
    return ChargerSnapshot(
        charger_id,
        name,
        registration_status,
        id_tag,
        MappingProxyType({connector_id: pk for connector_id, pk in connectors}),
    )


STALE_CHECK_BATCH = 1000  # snapshots compared with their rows per query


def stale_snapshots(session: Session, snapshots: list[ChargerSnapshot]) -> list[str]:
    """Names of the chargers whose registration status or idTag differ from their rows, or
    whose rows are gone: a relay message about an operator's change may have been lost, and
    this bounds how long a socket answers from an old snapshot. Reads only."""
    stale = []
    for start in range(0, len(snapshots), STALE_CHECK_BATCH):
        batch = {snapshot.id: snapshot for snapshot in snapshots[start : start + STALE_CHECK_BATCH]}
        stored = {
            row.id: (row.registration_status, row.id_tag)
            for row in session.execute(
                select(Charger.id, Charger.registration_status, Charger.id_tag).where(
                    Charger.id.in_(batch)
                )
            )
        }
        stale += [
            snapshot.name
            for charger_id, snapshot in batch.items()
            if stored.get(charger_id) != (snapshot.registration_status, snapshot.id_tag)
        ]
    return stale


_REGISTERED = select(Charger.__table__.c.id).where(Charger.__table__.c.id == bindparam("b_charger"))


def explain_failure(
    database: Database, snapshot: ChargerSnapshot | None, failure: Exception
) -> Exception:
    """The failure of a message answered from `snapshot`, explained: a write refused by a
    foreign key, for a charger deleted since the snapshot was taken (its last communication
    is written behind, so nothing else noticed), is ChargerNotRegistered; any other failure,
    or one the database cannot explain now, stays as it is. Reads only."""
    if snapshot is None or not isinstance(failure, IntegrityError):
        return failure
    try:
        with database.unit_of_work() as session:
            registered = session.execute(_REGISTERED, {"b_charger": snapshot.id}).first()
    except Exception:  # noqa: BLE001 - the original failure is the one to answer
        return failure
    if registered is not None:
        return failure
    return ChargerNotRegistered(f"{snapshot.name} is no longer registered")


_HEARD_FROM = (
    update(Charger.__table__)
    .where(Charger.__table__.c.id == bindparam("b_charger"))
    .values(last_communication=bindparam("b_now"))
)


def note_communication(session: Session, snapshot: ChargerSnapshot, now) -> bool:
    """The charger was heard from now (one UPDATE, no row loaded); False when it has been
    deleted since the snapshot was taken. Commits nothing."""
    heard = {"b_charger": snapshot.id, "b_now": now}
    return statement_connection(session).execute(_HEARD_FROM, heard).rowcount > 0
