"""A simulated charger's connectors: status, availability and the session each one carries."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from ocpp.v16.enums import AvailabilityStatus, AvailabilityType, ChargePointStatus, Reason


@dataclass
class Session:
    """One charging session on one connector, from plug-in to StopTransaction."""

    id_tag: str
    remote: bool
    duration: float
    power_w: float = field(default_factory=lambda: random.choice((3700.0, 7400.0, 11000.0)))
    transaction_id: int | None = None
    stop_reason: Reason | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def request_stop(self, reason: Reason) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()


@dataclass
class Connector:
    connector_id: int
    status: ChargePointStatus = ChargePointStatus.available
    operative: bool = True
    scheduled: AvailabilityType | None = None
    session: Session | None = None
    meter_wh: int = field(default_factory=lambda: random.randint(0, 5_000_000))

    @property
    def free(self) -> bool:
        return self.operative and self.session is None

    @property
    def idle_status(self) -> ChargePointStatus:
        return ChargePointStatus.available if self.operative else ChargePointStatus.unavailable


class Connectors:
    """Connector 1..n of one charger; connector 0 means the charger as a whole."""

    def __init__(self, count: int):
        self.by_id = {number: Connector(number) for number in range(1, count + 1)}

    def __iter__(self):
        return iter(self.by_id.values())

    def get(self, connector_id: int) -> Connector | None:
        return self.by_id.get(connector_id)

    @property
    def charger_operative(self) -> bool:
        return any(connector.operative for connector in self)

    def free_connector(self, preferred: int | None = None) -> Connector | None:
        """The requested connector if it can take a session, else (no preference) any free one."""
        if preferred is not None:
            connector = self.get(preferred)
            return connector if connector is not None and connector.free else None
        free = [connector for connector in self if connector.free]
        return random.choice(free) if free else None

    def with_transaction(self, transaction_id: int) -> Connector | None:
        for connector in self:
            if connector.session and connector.session.transaction_id == transaction_id:
                return connector
        return None

    def sessions(self) -> list[Session]:
        return [connector.session for connector in self if connector.session is not None]

    def change_availability(
        self, connector_id: int, kind: AvailabilityType
    ) -> tuple[AvailabilityStatus, list[Connector]]:
        """Apply ChangeAvailability now where no session runs, else schedule it for its end.

        Returns the answer and the connectors whose status changed (to be notified).
        """
        if connector_id == 0:
            targets = list(self)
        else:
            connector = self.get(connector_id)
            if connector is None:
                return AvailabilityStatus.rejected, []
            targets = [connector]
        changed, scheduled = [], False
        for connector in targets:
            if connector.session is not None:
                connector.scheduled = kind
                scheduled = True
            elif connector.operative != (kind == AvailabilityType.operative):
                connector.operative = kind == AvailabilityType.operative
                connector.status = connector.idle_status
                changed.append(connector)
        status = AvailabilityStatus.scheduled if scheduled else AvailabilityStatus.accepted
        return status, changed

    def release(self, connector: Connector) -> None:
        """End the connector's session and apply an availability change scheduled for then."""
        connector.session = None
        if connector.scheduled is not None:
            connector.operative = connector.scheduled == AvailabilityType.operative
            connector.scheduled = None
        connector.status = connector.idle_status
