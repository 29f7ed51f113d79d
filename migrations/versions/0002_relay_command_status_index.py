"""relay: index commands by status

The relay's sweep looks for open commands (Pending, Queued, Sent) every few seconds on every
node; without this index that is a full scan of a table that only grows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:45:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_commands_status", "commands", ["status"])


def downgrade() -> None:
    op.drop_index("ix_commands_status", table_name="commands")
