"""SQLAlchemy 2.x models: the durable record of chargers, sessions and commands, one module
per aggregate. Everything is re-exported here, so `from domain.models import X` works for
every model, enum and column type."""

from domain.models.base import Base, BigIntId, UTCDateTime, new_uuid
from domain.models.chargers import (
    Charger,
    ChargerEvent,
    ChargerStatus,
    ConfigurationKey,
    Connector,
    ConnectorStatus,
    RegistrationStatus,
    StatusLog,
)
from domain.models.commands import (
    Command,
    CommandStatus,
)
from domain.models.health import (
    ChargerHealthDay,
    SocketEvent,
    SocketEventKind,
)
from domain.models.id_tags import (
    IdTag,
    IdTagStatus,
)
from domain.models.messages import (
    Direction,
    OcppMessage,
)
from domain.models.outbox import (
    TaskOutbox,
)
from domain.models.transactions import (
    ChargingProfile,
    MeterValue,
    Reservation,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from domain.models.users import (
    RevokedToken,
    Role,
    User,
)

__all__ = [
    "Base",
    "BigIntId",
    "Charger",
    "ChargerEvent",
    "ChargerHealthDay",
    "ChargerStatus",
    "ChargingProfile",
    "Command",
    "CommandStatus",
    "ConfigurationKey",
    "Connector",
    "ConnectorStatus",
    "Direction",
    "IdTag",
    "IdTagStatus",
    "MeterValue",
    "OcppMessage",
    "RegistrationStatus",
    "Reservation",
    "RevokedToken",
    "Role",
    "SocketEvent",
    "SocketEventKind",
    "StatusLog",
    "TaskOutbox",
    "Transaction",
    "TransactionStatus",
    "TransactionType",
    "UTCDateTime",
    "User",
    "new_uuid",
]
