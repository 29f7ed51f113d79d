"""Charger security: profile, key rotation state, certificate.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("security_profile", sa.Integer(), {"nullable": False, "server_default": "0"}),
    ("previous_authorization_key_hash", sa.String(255), {}),
    ("pending_authorization_key_hash", sa.String(255), {}),
    ("pending_authorization_key_command", sa.String(36), {}),
    ("certificate_pem", sa.Text(), {}),
    ("certificate_serial", sa.String(64), {}),
    ("certificate_expires_at", sa.DateTime(timezone=True), {}),
)


def upgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        for name, type_, options in COLUMNS:
            batch.add_column(sa.Column(name, type_, **options))


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        for name, _type, _options in reversed(COLUMNS):
            batch.drop_column(name)
