"""sweep_heartbeats: silent chargers become Disconnected with a StatusLog row, once."""

import threading
from datetime import timedelta

from sqlalchemy import select

from adapters.presence import InProcessPresence
from domain.clock import utcnow
from domain.models import Charger, ChargerStatus, ConfigurationKey, StatusLog
from domain.services.heartbeat_sweep import sweep_heartbeats
from tasks.jobs import run_job
from tests.sessions_builder import add_charger

INTERVAL = 60  # seconds; the limit is 3 intervals


def connected(session, name, *, silent_for: timedelta | None):
    charger = add_charger(session, name)
    charger.status = ChargerStatus.CONNECTED
    if silent_for is not None:
        charger.last_heartbeat = utcnow() - silent_for
        charger.last_communication = utcnow() - silent_for
    return charger


def sweep(session, holds_socket=lambda name: False):
    return sweep_heartbeats(
        session,
        heartbeat_interval=INTERVAL,
        timeout_factor=3.0,
        holds_socket=holds_socket,
        now=utcnow(),
    )


def statuses(session):
    rows = session.execute(select(Charger.name, Charger.status).order_by(Charger.name))
    return dict(rows.all())


def test_silent_charger_is_disconnected_with_a_status_log_row(db):
    with db.unit_of_work() as session:
        connected(session, "silent", silent_for=timedelta(minutes=10))
        connected(session, "chatty", silent_for=timedelta(minutes=1))
        connected(session, "never-heard", silent_for=None)
    with db.unit_of_work() as session:
        assert sorted(sweep(session)) == ["never-heard", "silent"]
    with db.unit_of_work() as session:
        assert statuses(session) == {
            "chatty": ChargerStatus.CONNECTED,
            "never-heard": ChargerStatus.DISCONNECTED,
            "silent": ChargerStatus.DISCONNECTED,
        }
        logs = session.scalars(select(StatusLog).order_by(StatusLog.id)).all()
        assert [log.status for log in logs] == [ChargerStatus.DISCONNECTED] * 2
        assert all("heartbeat sweep" in log.message and "180 s" in log.message for log in logs)


def test_recent_other_message_counts_as_a_sign_of_life(db):
    with db.unit_of_work() as session:
        charger = connected(session, "meter-only", silent_for=timedelta(minutes=10))
        charger.last_communication = utcnow()
    with db.unit_of_work() as session:
        assert sweep(session) == []


def test_charger_whose_socket_a_node_holds_stays_connected(db):
    presence = InProcessPresence("node-a", ttl=60)
    presence.claim("held")
    with db.unit_of_work() as session:
        connected(session, "held", silent_for=timedelta(minutes=10))
    with db.unit_of_work() as session:
        assert sweep(session, lambda name: presence.node_of(name) is not None) == []
        assert statuses(session) == {"held": ChargerStatus.CONNECTED}


def test_longer_configured_heartbeat_interval_is_respected(db):
    with db.unit_of_work() as session:
        charger = connected(session, "slow", silent_for=timedelta(minutes=10))
        session.add(ConfigurationKey(charger_id=charger.id, key="HeartbeatInterval", value="600"))
    with db.unit_of_work() as session:
        assert sweep(session) == []


def test_sweeping_twice_writes_one_row(db, settings):
    with db.unit_of_work() as session:
        connected(session, "silent", silent_for=timedelta(hours=1))
    first = run_job("sweep_heartbeats", db, settings, {})
    second = run_job("sweep_heartbeats", db, settings, {})
    assert (first, second) == ({"disconnected": ["silent"]}, {"disconnected": []})
    with db.unit_of_work() as session:
        assert len(session.scalars(select(StatusLog)).all()) == 1


def test_concurrent_sweeps_on_postgres_write_one_row(pg_db):
    with pg_db.unit_of_work() as session:
        connected(session, "silent", silent_for=timedelta(hours=1))
    # Both sweeps have read the charger as Connected and silent before either writes.
    both_read = threading.Barrier(2)
    results = []

    def holds_socket(_name):
        both_read.wait()
        return False

    def run():
        with pg_db.unit_of_work() as session:
            results.append(sweep(session, holds_socket))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], ["silent"]]
    with pg_db.unit_of_work() as session:
        assert len(session.scalars(select(StatusLog)).all()) == 1
