"""The benchmark's PostgreSQL: a fresh database per run, fleet rows, and the SQL ceiling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from sqlalchemy import func, select

from bench.load import Throughput
from domain import schema
from domain.db import Database
from domain.models import RegistrationStatus, Transaction, TransactionStatus
from domain.services.chargers import create_charger
from domain.services.id_tags import create_id_tag
from tests.services import create_postgres_database, drop_postgres_database


@contextmanager
def bench_database() -> Iterator[str]:
    """A migrated, empty database on the test PostgreSQL; dropped afterwards."""
    url = create_postgres_database()
    try:
        schema.upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


def create_fleet(url: str, ids: list[str], id_tags: list[str] = ()) -> None:
    """Chargers registered Accepted with connectors 1 and 2, and Accepted id tags."""
    database = Database(url)
    try:
        for start in range(0, len(ids), 500):
            with database.unit_of_work() as session:
                for charger_id in ids[start : start + 500]:
                    create_charger(
                        session,
                        charger_id,
                        registration_status=RegistrationStatus.ACCEPTED,
                        connector_ids=(1, 2),
                    )
        with database.unit_of_work() as session:
            for tag in id_tags:
                create_id_tag(session, tag)
    finally:
        database.dispose()


def transaction_counts(url: str) -> dict[str, int]:
    """Transactions per status."""
    database = Database(url)
    try:
        with database.unit_of_work() as session:
            rows = session.execute(
                select(Transaction.status, func.count()).group_by(Transaction.status)
            )
            return {status: count for status, count in rows}
    finally:
        database.dispose()


COMPLETED = TransactionStatus.COMPLETED

CEILING_TABLE = """
CREATE TABLE IF NOT EXISTS bench_pairs (
    id BIGSERIAL PRIMARY KEY, charger TEXT NOT NULL, id_tag TEXT NOT NULL,
    meter_start INTEGER NOT NULL, start_time TIMESTAMPTZ NOT NULL,
    meter_stop INTEGER, end_time TIMESTAMPTZ, status TEXT NOT NULL
)"""


def sql_pair_ceiling(url: str, workers: int, seconds: float) -> Throughput:
    """Start+Stop pairs/s as bare SQL: INSERT..RETURNING, COMMIT, UPDATE, COMMIT per pair.

    `workers` threads, one connection each, no ORM, no validation, no WebSocket: the
    database's own cost of committing a pair in two durable steps on this machine.
    """
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(dsn) as setup, setup.cursor() as cursor:
        cursor.execute(CEILING_TABLE)
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(index: int) -> None:
        connection = psycopg2.connect(dsn)
        mine = []
        try:
            with connection.cursor() as cursor:
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    cursor.execute(
                        "INSERT INTO bench_pairs (charger, id_tag, meter_start, start_time,"
                        " status) VALUES (%s, %s, 0, now(), 'Active') RETURNING id",
                        (f"ceiling-{index}", f"TAG{index}"),
                    )
                    (pair_id,) = cursor.fetchone()
                    connection.commit()
                    cursor.execute(
                        "UPDATE bench_pairs SET meter_stop = 1000, end_time = now(),"
                        " status = 'Completed' WHERE id = %s",
                        (pair_id,),
                    )
                    connection.commit()
                    mine.append(time.perf_counter() - started)
        finally:
            connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Throughput(len(latencies), seconds, latencies)
