"""The message log range-partitioned by day on PostgreSQL (SQLite: unchanged).

The existing table becomes the partition of everything before the day after this migration
runs (its rows are not copied); a DEFAULT partition catches rows no day partition covers;
day partitions are created ahead (domain/services/message_log_partitions.py). The primary
key becomes (id, created_at), as PostgreSQL requires of a partitioned table; ids still come
from the same sequence.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = """
    charger_name VARCHAR(48) NOT NULL,
    direction VARCHAR(8) NOT NULL,
    message_type INTEGER NOT NULL,
    unique_id VARCHAR(64),
    action VARCHAR(64),
    payload JSON NOT NULL,
    source VARCHAR(16) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL
"""
INDEXES = (
    ("ix_ocpp_messages_charger_time", "charger_name, created_at"),
    ("ix_ocpp_messages_created_at", "created_at"),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    newest = bind.execute(sa.text("SELECT max(created_at) FROM ocpp_messages")).scalar()
    now = datetime.now(UTC)
    newest = max(now, newest or now)
    legacy_until = datetime(newest.year, newest.month, newest.day, tzinfo=UTC) + timedelta(days=1)

    op.execute("ALTER TABLE ocpp_messages RENAME TO ocpp_messages_before")
    # Its key becomes the parent's (id, created_at), built when it is attached.
    op.execute("ALTER TABLE ocpp_messages_before DROP CONSTRAINT ocpp_messages_pkey")
    for name, _ in INDEXES:
        op.execute(
            f"ALTER INDEX {name} RENAME TO {name.replace('ocpp_messages', 'ocpp_messages_before')}"
        )
    op.execute(
        "CREATE TABLE ocpp_messages ("
        "id BIGINT NOT NULL DEFAULT nextval('ocpp_messages_id_seq'),"
        f"{COLUMNS}, PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)"
    )
    op.execute("ALTER SEQUENCE ocpp_messages_id_seq OWNED BY ocpp_messages.id")
    op.execute("ALTER TABLE ocpp_messages_before ALTER COLUMN id DROP DEFAULT")
    for name, columns in INDEXES:
        op.execute(f"CREATE INDEX {name} ON ocpp_messages ({columns})")
    # A CHECK matching the bound lets ATTACH skip scanning the old rows.
    op.execute(
        "ALTER TABLE ocpp_messages_before ADD CONSTRAINT ocpp_messages_before_bound "
        f"CHECK (created_at IS NOT NULL AND created_at < '{legacy_until.isoformat()}')"
    )
    op.execute(
        "ALTER TABLE ocpp_messages ATTACH PARTITION ocpp_messages_before "
        f"FOR VALUES FROM (MINVALUE) TO ('{legacy_until.isoformat()}')"
    )
    op.execute("ALTER TABLE ocpp_messages_before DROP CONSTRAINT ocpp_messages_before_bound")
    op.execute("CREATE TABLE ocpp_messages_default PARTITION OF ocpp_messages DEFAULT")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE ocpp_messages RENAME TO ocpp_messages_partitioned")
    op.execute(
        "ALTER TABLE ocpp_messages_partitioned "
        "RENAME CONSTRAINT ocpp_messages_pkey TO ocpp_messages_partitioned_pkey"
    )
    for name, _ in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_partitioned")
    op.execute(
        "CREATE TABLE ocpp_messages ("
        "id BIGINT NOT NULL DEFAULT nextval('ocpp_messages_id_seq'),"
        f"{COLUMNS}, CONSTRAINT ocpp_messages_pkey PRIMARY KEY (id))"
    )
    op.execute("INSERT INTO ocpp_messages SELECT * FROM ocpp_messages_partitioned")
    op.execute("ALTER SEQUENCE ocpp_messages_id_seq OWNED BY ocpp_messages.id")
    op.execute("DROP TABLE ocpp_messages_partitioned")
    for name, columns in INDEXES:
        op.execute(f"CREATE INDEX {name} ON ocpp_messages ({columns})")
