"""Transactions keep a charger's own 36-character UUID idTag: send-command takes the original
design's StartTransaction example verbatim (over OCPP an idTag stays CiString20).

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("id_tag", "stop_id_tag")


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        for column in COLUMNS:
            batch.alter_column(
                column,
                type_=sa.String(36),
                existing_type=sa.String(20),
                existing_nullable=column == "stop_id_tag",
            )


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        for column in COLUMNS:
            batch.alter_column(
                column,
                type_=sa.String(20),
                existing_type=sa.String(36),
                existing_nullable=column == "stop_id_tag",
            )
