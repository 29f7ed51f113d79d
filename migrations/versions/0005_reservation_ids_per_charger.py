"""Reservation ids are unique per charger (OCPP 1.6: each charger numbers its own), not
across all chargers.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PER_CHARGER = "uq_reservation_per_charger"
# 0001 left the global constraint unnamed: PostgreSQL named it, SQLite batch mode names it by
# this convention when it copies the table.
POSTGRES_GLOBAL = "reservations_reservation_id_key"
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
SQLITE_GLOBAL = "uq_reservations_reservation_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("reservations", naming_convention=CONVENTION) as batch:
            batch.drop_constraint(SQLITE_GLOBAL, type_="unique")
            batch.create_unique_constraint(PER_CHARGER, ["charger_id", "reservation_id"])
    else:
        op.drop_constraint(POSTGRES_GLOBAL, "reservations", type_="unique")
        op.create_unique_constraint(PER_CHARGER, "reservations", ["charger_id", "reservation_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("reservations", naming_convention=CONVENTION) as batch:
            batch.drop_constraint(PER_CHARGER, type_="unique")
            batch.create_unique_constraint(SQLITE_GLOBAL, ["reservation_id"])
    else:
        op.drop_constraint(PER_CHARGER, "reservations", type_="unique")
        op.create_unique_constraint(POSTGRES_GLOBAL, "reservations", ["reservation_id"])
