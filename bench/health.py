"""Charger health at fleet scale: generated records of 10,000 chargers, then the cost of the
daily rollup, the fleet ranking and one charger's scorecard (no server: the domain services
on PostgreSQL, as the beat job and the API call them).

    python -m bench.health [--chargers 10000 --heartbeat-minutes 15 --samples 20]

Per charger over the last 24 h: a heartbeat every `--heartbeat-minutes`, a BootNotification,
four timestamped StatusNotifications, one session with `--samples` MeterValues (each CALL
logged with its answer, as the socket does), two socket sessions (status log and socket
events), and a CALLERROR for one charger in ten. The rollup rows of the last day are then
copied to the 28 days before it, so the 30-day windows read a month of rollups.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

from bench.database import bench_database
from domain.clock import utcnow
from domain.db import Database
from domain.queries.paging import PageRequest
from domain.services.health import (
    charger_scorecard,
    list_fleet_health,
    refresh_rollups,
    start_of_day,
)

HEARTBEAT_INTERVAL = 300
ROLLED_DAYS = 28
REPEATS = 3


def copy_rows(connection, table: str, columns: list[str], rows: Iterator[list]) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH CSV", buffer)
    return count


def frames(chargers: int, heartbeat_minutes: int, samples: int, now) -> Iterator[list]:
    """Message-log rows: every CALL in and our answer out."""
    since = now - timedelta(hours=24)
    for number in range(1, chargers + 1):
        name = f"cp-{number:05d}"
        calls: list[tuple] = []
        moment = since + timedelta(seconds=number % 60)
        while moment < now:
            calls.append((moment, "Heartbeat", {}))
            moment += timedelta(minutes=heartbeat_minutes)
        calls.append((since + timedelta(minutes=1), "BootNotification", {"chargePointVendor": "V"}))
        for hour in (2, 8, 14, 20):
            at = since + timedelta(hours=hour)
            stamp = (at + timedelta(seconds=number % 7)).isoformat()
            calls.append((at, "StatusNotification", {"connectorId": 1, "timestamp": stamp}))
        for sample in range(samples):
            calls.append((since + timedelta(hours=3, minutes=sample * 5), "MeterValues", {}))
        for at, action, payload in calls:
            yield [name, "in", 2, "u", action, json.dumps(payload), "charger", at.isoformat()]
            yield [name, "out", 3, "u", action, "{}", "charger", at.isoformat()]
        if number % 10 == 0:
            at = (since + timedelta(hours=5)).isoformat()
            error = json.dumps(["FormationViolation", "bad", {}])
            yield [name, "out", 4, "u", "Heartbeat", error, "charger", at]


def generate(url: str, chargers: int, heartbeat_minutes: int, samples: int, now) -> dict:
    database = Database(url)
    connection = database.engine.raw_connection()
    since = now - timedelta(hours=24)
    created = (since - timedelta(days=ROLLED_DAYS + 2)).isoformat()
    counts = {}
    try:
        ids = range(1, chargers + 1)
        counts["chargers"] = copy_rows(
            connection,
            "chargers",
            ["id", "name", "status", "registration_status", "id_tag", "created_at"],
            ([i, f"cp-{i:05d}", "Connected", "Accepted", f"tag-{i}", created] for i in ids),
        )
        copy_rows(
            connection,
            "connectors",
            ["id", "charger_id", "connector_id", "connector_tag", "status"],
            ([i, i, 1, "connector_1", "AVAILABLE"] for i in ids),
        )
        start = since + timedelta(hours=3)
        copy_rows(
            connection,
            "transactions",
            ["id", "charger_id", "connector_id", "id_tag", "start_time", "meter_start", "status",
             "type", "created_at"],
            ([i, i, i, "TAG", start.isoformat(), 0, "Active", "Charger", created] for i in ids),
        )  # fmt: skip
        counts["meter_values"] = copy_rows(
            connection,
            "meter_values",
            ["charger_id", "connector_id", "transaction_id", "timestamp", "measurand", "value",
             "sample_key"],
            (
                [i, i, i, (start + timedelta(minutes=5 * k)).isoformat(),
                 "Energy.Active.Import.Register", str(1000 * k), f"{i}-{k}"]
                for i in ids
                for k in range(samples)
            ),
        )  # fmt: skip
        sessions = [(1, "Connected"), (6, "Disconnected"), (6.5, "Connected")]
        counts["status_logs"] = copy_rows(
            connection,
            "status_logs",
            ["charger_id", "timestamp", "status", "message"],
            (
                [i, (since + timedelta(hours=hour)).isoformat(), status, "bench"]
                for i in ids
                for hour, status in sessions
            ),
        )
        kinds = [(1, "opened"), (6, "dropped"), (6.5, "opened")]
        counts["socket_events"] = copy_rows(
            connection,
            "socket_events",
            ["charger_id", "kind", "at"],
            ([i, kind, (since + timedelta(hours=h)).isoformat()] for i in ids for h, kind in kinds),
        )
        counts["ocpp_messages"] = copy_rows(
            connection,
            "ocpp_messages",
            ["charger_name", "direction", "message_type", "unique_id", "action", "payload",
             "source", "created_at"],
            frames(chargers, heartbeat_minutes, samples, now),
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
        database.dispose()
    return counts


def timed(run: Callable[[], object]) -> float:
    """Median wall time of REPEATS runs, in milliseconds."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def copy_rollups_back(database: Database, day) -> None:
    """The newest whole day's rollup rows again for each of the ROLLED_DAYS days before it."""
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO charger_health_days (charger_id, day, figures, score_counts, computed_at)"
            " SELECT charger_id, day - gs.n, figures, score_counts, computed_at"
            " FROM charger_health_days CROSS JOIN generate_series(1, %(days)s) AS gs(n)"
            " WHERE day = %(day)s",
            {"days": ROLLED_DAYS, "day": day},
        )


def measure(url: str, now, chargers: int) -> dict[str, float]:
    database = Database(url)
    figures = {}
    try:

        def roll_up():
            with database.unit_of_work() as session:
                refresh_rollups(session, now=now, heartbeat_interval=HEARTBEAT_INTERVAL)

        started = time.perf_counter()
        roll_up()
        figures["rollup_ms (today + yesterday, whole fleet)"] = round(
            (time.perf_counter() - started) * 1000, 1
        )
        copy_rollups_back(database, (start_of_day(now) - timedelta(days=1)).date())
        for hours in (24, 720):

            def fleet(hours=hours):
                with database.unit_of_work() as session:
                    list_fleet_health(session, PageRequest(1, 50), hours=hours, now=now)

            def card(hours=hours):
                with database.unit_of_work() as session:
                    charger_scorecard(
                        session,
                        f"cp-{chargers // 2:05d}",
                        hours=hours,
                        now=now,
                        heartbeat_interval=HEARTBEAT_INTERVAL,
                    )

            figures[f"fleet_ranking_ms ({hours} h, page of 50)"] = timed(fleet)
            figures[f"one_scorecard_ms ({hours} h)"] = timed(card)
    finally:
        database.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--heartbeat-minutes", type=int, default=15)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    now = utcnow()
    with bench_database() as url:
        started = time.perf_counter()
        counts = generate(
            url, arguments.chargers, arguments.heartbeat_minutes, arguments.samples, now
        )
        generated_s = round(time.perf_counter() - started, 1)
        figures = measure(url, now, arguments.chargers)
    report = {"rows": counts, "generated_in_s": generated_s, "figures": figures}
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"rows generated in {generated_s} s: {counts}")
    for name, value in figures.items():
        print(f"{name:48} {value:>10}")


if __name__ == "__main__":
    main()
