"""Chargers and what belongs to each: connectors, status history, events, configuration."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.clock import utcnow
from domain.models.base import Base, BigIntId, new_uuid

# The charge point identity: the name column, the socket URL and the REST routes.
CHARGER_NAME_LENGTH = 48


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


class Charger(Base):
    __tablename__ = "chargers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(CHARGER_NAME_LENGTH), unique=True)
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
    # OCPP 1.6 security whitepaper: 0 = none, 1 = Basic, 2 = Basic over TLS, 3 = client
    # certificate. Raised by an accepted ChangeConfiguration(SecurityProfile), never lowered.
    security_profile: Mapped[int] = mapped_column(default=0, server_default="0")
    # Key rotation: the key before the last switch works until the new one's first login.
    previous_authorization_key_hash: Mapped[str | None] = mapped_column(String(255))
    # A ChangeConfiguration(AuthorizationKey) in flight: its new key's hash and command id.
    pending_authorization_key_hash: Mapped[str | None] = mapped_column(String(255))
    pending_authorization_key_command: Mapped[str | None] = mapped_column(String(36))
    # The charger's certificate (security profile 3), as last signed or installed.
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    certificate_serial: Mapped[str | None] = mapped_column(String(64))
    certificate_expires_at: Mapped[datetime | None]


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


class StatusLog(Base):
    __tablename__ = "status_logs"
    __table_args__ = (Index("ix_status_logs_charger_time", "charger_id", "timestamp"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int | None]
    timestamp: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)


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
