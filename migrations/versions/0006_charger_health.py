"""charger health: how sockets ended, and daily health figures per charger

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-30 13:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "socket_events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "charger_id",
            sa.Integer(),
            sa.ForeignKey("chargers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_socket_events_charger_time", "socket_events", ["charger_id", "at"])
    op.create_table(
        "charger_health_days",
        sa.Column(
            "charger_id",
            sa.Integer(),
            sa.ForeignKey("chargers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column(
            "score_counts",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_charger_health_days_day", "charger_health_days", ["day"])


def downgrade() -> None:
    op.drop_index("ix_charger_health_days_day", table_name="charger_health_days")
    op.drop_table("charger_health_days")
    op.drop_index("ix_socket_events_charger_time", table_name="socket_events")
    op.drop_table("socket_events")
