"""Meter readings in 64-bit columns: a register past 2,147,483,647 Wh is still recorded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("meter_start", "meter_stop")


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        for column in COLUMNS:
            batch.alter_column(
                column,
                type_=sa.BigInteger(),
                existing_type=sa.Integer(),
                existing_nullable=column == "meter_stop",
            )


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        for column in COLUMNS:
            batch.alter_column(
                column,
                type_=sa.Integer(),
                existing_type=sa.BigInteger(),
                existing_nullable=column == "meter_stop",
            )
