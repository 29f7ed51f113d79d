"""Migrations upgrade, downgrade and upgrade again on both supported databases."""

import pytest
from sqlalchemy import create_engine, inspect, text

from domain import schema
from domain.models import Base
from tests.services import create_postgres_database, drop_postgres_database


def table_names(url: str) -> set[str]:
    """The schema's tables; a partition counts as part of its table (PostgreSQL)."""
    engine = create_engine(url)
    try:
        partitions = set()
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                partitions = set(
                    connection.scalars(text("SELECT inhrelid::regclass::text FROM pg_inherits"))
                )
        return set(inspect(engine).get_table_names()) - {"alembic_version"} - partitions
    finally:
        engine.dispose()


def round_trip(url: str) -> None:
    schema.upgrade(url)
    assert table_names(url) == set(Base.metadata.tables)
    schema.downgrade(url)
    assert table_names(url) == set()
    schema.upgrade(url)
    assert table_names(url) == set(Base.metadata.tables)


def test_round_trip_on_sqlite(tmp_path):
    round_trip(f"sqlite:///{tmp_path / 'rt.db'}")


@pytest.mark.postgres
def test_round_trip_on_postgres():
    url = create_postgres_database()
    try:
        round_trip(url)
    finally:
        drop_postgres_database(url)
