"""Group commit on a real PostgreSQL: one transaction per group (run again without an item
that failed), each submitter answered with its own result only after the commit."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from domain.events import record_event
from domain.group_commit import GroupCommitter, UnitOfWorkCommitter, committer_for
from domain.models import Charger
from domain.services.chargers import create_charger

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_db):
    return pg_db


def grouped(pg, size):
    """One committer whose groups close when `size` items are waiting (no deadline in reach)."""
    committer = GroupCommitter(pg, max_items=size, max_wait=60.0, committers=1)
    yield committer
    committer.close()


@pytest.fixture
def group_of_three(pg):
    yield from grouped(pg, 3)


def submit_together(committer, works):
    """Submit every work from its own thread; each one's result or the exception it got."""

    def outcome(work):
        try:
            return committer.submit(work)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            return error

    with ThreadPoolExecutor(len(works)) as pool:
        return list(pool.map(outcome, works))


def stored_names(pg):
    with pg.unit_of_work() as session:
        return set(session.scalars(select(Charger.name)))


def creating(name, fail=False):
    def work(session):
        create_charger(session, name, connector_ids=(1,))
        session.flush()
        record_event(session, f"{name} created")
        if fail:
            raise RuntimeError(f"{name} failed")
        if session.get_bind().dialect.name == "postgresql":
            return session.execute(text("SELECT txid_current()")).scalar()
        return None

    return work


def test_a_group_of_units_of_work_shares_one_transaction(pg, group_of_three):
    outcomes = submit_together(group_of_three, [creating("g1"), creating("g2"), creating("g3")])
    transactions = {transaction for transaction, _ in outcomes}
    assert len(transactions) == 1
    assert stored_names(pg) == {"g1", "g2", "g3"}


def test_a_failing_item_fails_only_its_submitter_and_the_others_are_kept_once(pg, group_of_three):
    first, failed, last = submit_together(
        group_of_three, [creating("ok1"), creating("bad", fail=True), creating("ok2")]
    )
    assert isinstance(failed, RuntimeError) and str(failed) == "bad failed"
    assert first[1] == ["ok1 created"] and last[1] == ["ok2 created"]
    assert stored_names(pg) == {"ok1", "ok2"}


def test_a_failing_database_statement_is_isolated_too(pg, group_of_three):
    def duplicate(session):
        create_charger(session, "twin", connector_ids=(1,))
        session.flush()
        session.execute(text("INSERT INTO chargers (name) SELECT name FROM chargers"))

    outcomes = submit_together(group_of_three, [creating("d1"), duplicate, creating("d2")])
    assert isinstance(outcomes[1], IntegrityError)
    assert stored_names(pg) == {"d1", "d2"}


def test_the_items_around_a_failing_one_run_again_in_one_new_transaction(pg, group_of_three):
    runs = []

    def counted(name, fail=False):
        work = creating(name, fail)

        def run(session):
            runs.append(name)
            return work(session)

        return run

    first, failed, last = submit_together(
        group_of_three, [counted("r1"), counted("r-bad", fail=True), counted("r2")]
    )
    assert isinstance(failed, RuntimeError)
    # Their results are those of the run that committed: one transaction, both rows once.
    assert first[0] == last[0]
    # Whatever ran before the failing item in the first attempt ran again without it.
    assert runs.count("r-bad") == 1
    assert all(runs.count(name) == 2 for name in runs[: runs.index("r-bad")])
    assert len(runs) == 3 + runs.index("r-bad")
    with pg.unit_of_work() as session:
        names = session.scalars(select(Charger.name).where(Charger.name.like("r%"))).all()
    assert sorted(names) == ["r1", "r2"]


def test_several_committers_run_groups_at_the_same_time(pg):
    # Each item is a group of its own; the first waits for the second, which only a second
    # committer can be running meanwhile.
    committer = GroupCommitter(pg, max_items=1, max_wait=0, committers=2)
    second_ran = threading.Event()

    def first(session):
        assert second_ran.wait(10), "the second group never ran beside the first"
        return creating("p1")(session)

    def second(session):
        second_ran.set()
        return creating("p2")(session)

    try:
        outcomes = submit_together(committer, [first, second])
    finally:
        committer.close()
    assert not any(isinstance(outcome, Exception) for outcome in outcomes)
    assert outcomes[0][0] != outcomes[1][0]  # two transactions
    assert {"p1", "p2"} <= stored_names(pg)


def test_a_lost_database_connection_fails_the_whole_group(pg, group_of_three):
    def cut_off(session):
        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    outcomes = submit_together(group_of_three, [creating("c1"), cut_off, creating("c2")])
    assert all(isinstance(outcome, Exception) for outcome in outcomes)
    assert not {"c1", "c2"} & stored_names(pg)


def test_a_failed_commit_answers_every_submitter_with_the_error_and_keeps_nothing(
    pg, group_of_three
):
    def clashing_at_commit(session):
        # A uniqueness checked at COMMIT: the second such insert makes the commit fail.
        session.execute(
            text(
                "CREATE TEMP TABLE IF NOT EXISTS clash (x int UNIQUE DEFERRABLE INITIALLY "
                "DEFERRED) ON COMMIT DROP; INSERT INTO clash VALUES (1)"
            )
        )

    outcomes = submit_together(
        group_of_three, [clashing_at_commit, creating("lost"), clashing_at_commit]
    )
    assert all(isinstance(outcome, IntegrityError) for outcome in outcomes)
    assert stored_names(pg) == set()


def test_one_submitters_units_of_work_each_see_the_one_before_committed(pg):
    committer = GroupCommitter(pg)
    try:
        seen = []
        for number in range(5):

            def count_and_add(session, number=number):
                seen.append(session.scalar(select(func.count()).select_from(Charger)))
                create_charger(session, f"seq{number}", connector_ids=(1,))

            committer.submit(count_and_add)
    finally:
        committer.close()
    assert seen == [0, 1, 2, 3, 4]


def test_events_of_a_rolled_back_item_are_not_handed_to_anyone(pg, group_of_three):
    outcomes = submit_together(
        group_of_three, [creating("e1", fail=True), creating("e2"), creating("e3", fail=True)]
    )
    handed = [event for outcome in outcomes if isinstance(outcome, tuple) for event in outcome[1]]
    assert handed == ["e2 created"]


def test_group_commit_is_chosen_on_postgresql_and_one_transaction_each_on_sqlite(pg, db):
    on_postgres, on_sqlite = committer_for(pg), committer_for(db)
    try:
        assert isinstance(on_postgres, GroupCommitter)
        assert isinstance(on_sqlite, UnitOfWorkCommitter)
        assert on_sqlite.submit(creating("solo"))[1] == ["solo created"]
    finally:
        on_postgres.close()


class Interrupted(BaseException):
    """Like a greenlet being killed: not an Exception, so no item-failure handling catches it."""


def test_a_group_stopped_before_its_commit_answers_no_submitter_with_a_result(pg, group_of_three):
    def interrupted(session):
        raise Interrupted

    outcomes = submit_together(group_of_three, [creating("i1"), interrupted, creating("i2")])
    assert all(isinstance(outcome, BaseException) for outcome in outcomes)
    assert stored_names(pg) == set()
    # The committer lives on: the next group is committed, not left waiting.
    after = submit_together(group_of_three, [creating(f"after{n}") for n in range(3)])
    assert sorted(events for _, events in after) == [[f"after{n} created"] for n in range(3)]
    assert stored_names(pg) == {"after0", "after1", "after2"}
