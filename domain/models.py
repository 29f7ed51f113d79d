"""SQLAlchemy 2.x models: the durable record of chargers, sessions and commands."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.clock import utcnow


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so autoincrement works.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class ChargerStatus(StrEnum):
    CONNECTED = "Connected"
    DISCONNECTED = "Disconnected"


class RegistrationStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ConnectorStatus(StrEnum):
    """The original design's words for a connector."""

    AVAILABLE = "AVAILABLE"
    OCCUPIED = "OCCUPIED"
    FAULTY = "FAULTY"


class TransactionStatus(StrEnum):
    ACTIVE = "Active"
    COMPLETED = "Completed"
    FAILED = "Failed"


class TransactionType(StrEnum):
    CHARGER = "Charger"
    REMOTE = "Remote"


class IdTagStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


def new_uuid() -> str:
    return str(uuid.uuid4())


class Charger(Base):
    __tablename__ = "chargers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(48), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ChargerStatus.DISCONNECTED)
    registration_status: Mapped[str] = mapped_column(
        String(16), default=RegistrationStatus.ACCEPTED
    )
    last_communication: Mapped[datetime | None]
    last_heartbeat: Mapped[datetime | None]
    last_boot_at: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(20))
    vendor: Mapped[str | None] = mapped_column(String(20))
    box_serial_number: Mapped[str | None] = mapped_column(String(25))
    serial_number: Mapped[str | None] = mapped_column(String(25))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    iccid: Mapped[str | None] = mapped_column(String(20))
    imsi: Mapped[str | None] = mapped_column(String(20))
    meter_type: Mapped[str | None] = mapped_column(String(25))
    meter_serial_number: Mapped[str | None] = mapped_column(String(25))
    id_tag: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    authorization_key_hash: Mapped[str | None] = mapped_column(String(255))
    firmware_status: Mapped[str | None] = mapped_column(String(32))
    diagnostics_status: Mapped[str | None] = mapped_column(String(32))
    local_list_version: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    connectors: Mapped[list[Connector]] = relationship(
        back_populates="charger", order_by="Connector.connector_id"
    )


class Connector(Base):
    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("charger_id", "connector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int]
    connector_tag: Mapped[str] = mapped_column(String(32))
    type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ConnectorStatus.AVAILABLE)
    ocpp_status: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(32))
    info: Mapped[str | None] = mapped_column(String(50))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    last_communication: Mapped[datetime | None]

    charger: Mapped[Charger] = relationship(back_populates="connectors")


class Transaction(Base):
    """A charging session; `id` is the OCPP transactionId given to the charger."""

    __tablename__ = "transactions"
    __table_args__ = (
        # A retried StartTransaction finds this row instead of creating another.
        UniqueConstraint("connector_id", "id_tag", "start_time", name="uq_transaction_start"),
        Index("ix_transactions_status", "status"),
        Index("ix_transactions_charger_status", "charger_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id", ondelete="CASCADE"))
    id_tag: Mapped[str] = mapped_column(String(20))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime | None]
    meter_start: Mapped[int] = mapped_column(BigInteger)
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    energy_consumed_kwh: Mapped[float | None] = mapped_column("energy_consumed_kWh", Float)
    status: Mapped[str] = mapped_column(String(16), default=TransactionStatus.ACTIVE)
    type: Mapped[str] = mapped_column(String(16), default=TransactionType.CHARGER)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    stop_id_tag: Mapped[str | None] = mapped_column(String(20))
    reservation_id: Mapped[int | None]
    anomaly: Mapped[str | None] = mapped_column(String(255))
    finalized_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    charger: Mapped[Charger] = relationship()
    connector: Mapped[Connector] = relationship()


class MeterValue(Base):
    __tablename__ = "meter_values"
    __table_args__ = (
        # A retried MeterValues/StopTransaction stores each sample once.
        UniqueConstraint("charger_id", "sample_key", name="uq_meter_value_sample"),
        Index("ix_meter_values_transaction", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("connectors.id", ondelete="SET NULL")
    )
    transaction_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("transactions.id", ondelete="SET NULL")
    )
    ocpp_transaction_id: Mapped[int | None] = mapped_column(BigIntId)
    timestamp: Mapped[datetime]
    measurand: Mapped[str] = mapped_column(String(64), default="Energy.Active.Import.Register")
    phase: Mapped[str | None] = mapped_column(String(8))
    unit: Mapped[str | None] = mapped_column(String(16))
    context: Mapped[str | None] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(16))
    format: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    sample_key: Mapped[str] = mapped_column(String(64))


class StatusLog(Base):
    __tablename__ = "status_logs"
    __table_args__ = (Index("ix_status_logs_charger_time", "charger_id", "timestamp"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int | None]
    timestamp: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)


class IdTag(Base):
    __tablename__ = "id_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20), unique=True)
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry_date: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=IdTagStatus.ACCEPTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.ADMIN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevokedToken(Base):
    """JWT blocklist that survives restarts."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommandStatus(StrEnum):
    """A command's own states and outcomes; an answered command holds the charger's status
    word (Accepted, Rejected, ...) instead, or Completed when its answer carries none."""

    PENDING = "Pending"
    QUEUED = "Queued"
    SENT = "Sent"
    COMPLETED = "Completed"
    CALL_ERROR = "CallError"
    TIMEOUT = "Timeout"
    OFFLINE = "Offline"
    EXPIRED = "Expired"


class Command(Base):
    """A central-system-initiated call; `id` is the OCPP unique id sent to the charger."""

    __tablename__ = "commands"
    __table_args__ = (
        Index("ix_commands_charger_status", "charger_id", "status"),
        # The relay's sweep finds open commands by status alone.
        Index("ix_commands_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(32), default=CommandStatus.PENDING)
    response: Mapped[dict[str, Any] | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_description: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(150))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    queue_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    # Joined: a command is always shown with its charger's name, after the session is gone.
    charger: Mapped[Charger] = relationship(lazy="joined")


class OcppMessage(Base):
    """Every frame in and out, for operators and for audits."""

    __tablename__ = "ocpp_messages"
    __table_args__ = (Index("ix_ocpp_messages_charger_time", "charger_name", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_name: Mapped[str] = mapped_column(String(48))
    direction: Mapped[str] = mapped_column(String(8))
    message_type: Mapped[int]
    unique_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[Any] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="charger")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChargerEvent(Base):
    """Notifications that are stored as they came: DataTransfer, firmware, diagnostics,
    security events, log uploads, certificate requests."""

    __tablename__ = "charger_events"
    __table_args__ = (Index("ix_charger_events_charger_time", "charger_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfigurationKey(Base):
    """A charger's configuration as last reported by GetConfiguration/ChangeConfiguration."""

    __tablename__ = "configuration_keys"
    __table_args__ = (UniqueConstraint("charger_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(50))
    value: Mapped[str | None] = mapped_column(String(500))
    readonly: Mapped[bool | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int]
    reservation_id: Mapped[int] = mapped_column(unique=True)
    id_tag: Mapped[str] = mapped_column(String(20))
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry_date: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="Active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChargingProfile(Base):
    __tablename__ = "charging_profiles"
    __table_args__ = (UniqueConstraint("charger_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int]
    profile_id: Mapped[int]
    stack_level: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(32))
    profile: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskOutbox(Base):
    """Background work recorded in the same commit as the data it is about.

    A dispatcher hands rows to Celery after commit; if the broker is down the row
    waits and a beat sweep dispatches it later, so no session goes unfinalised."""

    __tablename__ = "task_outbox"
    __table_args__ = (UniqueConstraint("task_name", "dedupe_key", name="uq_task_outbox_dedupe"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    task_name: Mapped[str] = mapped_column(String(128))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)


class SocketEventKind(StrEnum):
    """How a charger's socket began or ended, for its health scorecard."""

    OPENED = "opened"
    # Taken over by a newer socket with the same identity (two boxes sharing an id).
    REPLACED = "replaced"
    # Gone without a close frame: network loss, ping timeout, a crashed charger.
    DROPPED = "dropped"
    # Closed with a close frame, by the charger or by us.
    CLOSED = "closed"


class SocketEvent(Base):
    """One socket opening or ending; the status log says Connected/Disconnected, this says how."""

    __tablename__ = "socket_events"
    __table_args__ = (Index("ix_socket_events_charger_time", "charger_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ChargerHealthDay(Base):
    """A charger's health figures for one whole UTC day, rolled up by a beat job so that
    scorecards over long windows read one row per day instead of the raw logs."""

    __tablename__ = "charger_health_days"

    charger_id: Mapped[int] = mapped_column(
        ForeignKey("chargers.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    figures: Mapped[dict[str, Any]]
    # The numbers the score depends on (domain/services/health_score.score_counts); JSONB on
    # PostgreSQL, where a fleet ranking sums them straight from the binary form.
    score_counts: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
