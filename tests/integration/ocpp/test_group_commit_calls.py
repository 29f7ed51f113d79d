"""Charger CALLs through the group committer on a real PostgreSQL: chargers answered from
one shared commit each get their own `.conf` or CALLERROR, and only committed work is
published."""

import json
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from domain.boot_storm import BootStormGuard
from domain.events import EventBus, TransactionStarted
from domain.group_commit import GroupCommitter
from domain.models import Charger, Transaction
from domain.services.charger_snapshots import take_snapshot
from domain.services.chargers import create_charger, delete_charger
from domain.write_behind import WriteBehind
from tests.conftest import make_settings
from web.ocpp.framing import IncomingCall
from web.ocpp.handlers import CallHandler

pytestmark = pytest.mark.postgres

START = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-30T12:00:00Z"}


@pytest.mark.parametrize(
    "from_snapshot, written_behind",
    [(False, False), (True, False), (True, True)],
    ids=["lookup", "snapshot", "snapshot-written-behind"],
)
def test_a_charger_whose_call_fails_in_a_group_alone_gets_a_callerror(
    pg_db, tmp_path, from_snapshot, written_behind
):
    # One charger is deleted by an operator while its socket is open; the socket answers
    # from a charger lookup per message, or from the snapshot taken before the deletion
    # (its last communication written at once, or behind: then the deleted charger's
    # transaction fails on its foreign key, and that is found to mean "not registered").
    with pg_db.unit_of_work() as session:
        create_charger(session, "gc-kept", connector_ids=(1,))
        create_charger(session, "gc-gone", connector_ids=(1,))
    with pg_db.unit_of_work() as session:
        snapshots = {
            name: take_snapshot(session, name) if from_snapshot else None
            for name in ("gc-kept", "gc-gone")
        }
    with pg_db.unit_of_work() as session:
        delete_charger(session, "gc-gone")
    events = EventBus()
    started = []
    events.subscribe(TransactionStarted, started.append)
    # The group closes when both CALLs are waiting: they share one transaction.
    committer = GroupCommitter(pg_db, max_items=2, max_wait=60.0, committers=1)
    bookkeeping = WriteBehind(pg_db) if written_behind else None
    handler = CallHandler(
        pg_db,
        make_settings(tmp_path),
        BootStormGuard(1000),
        events,
        committer=committer,
        bookkeeping=bookkeeping,
    )

    def answer(name):
        call = IncomingCall(f"{name}-1", "StartTransaction", START)
        socket = SimpleNamespace(charger_name=name, snapshot=snapshots[name], other_conf_sent=False)
        return json.loads(handler.answer(socket, call).frame)

    try:
        with ThreadPoolExecutor(2) as pool:
            kept, gone = pool.map(answer, ["gc-kept", "gc-gone"])
    finally:
        committer.close()
        if bookkeeping is not None:
            bookkeeping.close()
    assert kept[:2] == [3, "gc-kept-1"] and kept[2]["idTagInfo"]["status"]
    assert gone[:3] == [4, "gc-gone-1", "SecurityError"]
    with pg_db.unit_of_work() as session:
        stored = session.scalars(select(Transaction.id)).all()
    assert stored == [kept[2]["transactionId"]]
    assert [event.charger_name for event in started] == ["gc-kept"]
    with pg_db.unit_of_work() as session:
        heard = session.scalar(select(Charger.last_communication).where(Charger.name == "gc-kept"))
    assert heard is not None
