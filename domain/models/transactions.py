"""Charging sessions: transactions, their meter values, reservations and charging profiles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.clock import utcnow
from domain.models.base import Base, BigIntId
from domain.models.chargers import Charger, Connector


class TransactionStatus(StrEnum):
    ACTIVE = "Active"
    COMPLETED = "Completed"
    FAILED = "Failed"


class TransactionType(StrEnum):
    CHARGER = "Charger"
    REMOTE = "Remote"


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
    id_tag: Mapped[str] = mapped_column(String(36))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime | None]
    meter_start: Mapped[int] = mapped_column(BigInteger)
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    energy_consumed_kwh: Mapped[float | None] = mapped_column("energy_consumed_kWh", Float)
    status: Mapped[str] = mapped_column(String(16), default=TransactionStatus.ACTIVE)
    type: Mapped[str] = mapped_column(String(16), default=TransactionType.CHARGER)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    stop_id_tag: Mapped[str | None] = mapped_column(String(36))
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


class Reservation(Base):
    __tablename__ = "reservations"
    # OCPP 1.6 reservation ids are chosen per charger.
    __table_args__ = (
        UniqueConstraint("charger_id", "reservation_id", name="uq_reservation_per_charger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id", ondelete="CASCADE"))
    connector_id: Mapped[int]
    reservation_id: Mapped[int]
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
