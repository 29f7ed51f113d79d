"""INSERT that skips a row whose unique key is already stored, in one statement.

PostgreSQL and SQLite both spell it `INSERT ... ON CONFLICT (...) DO NOTHING` and both answer
`RETURNING` with the rows actually inserted, so a retried message finds out in the same round
trip whether it stored anything; a concurrent insert of the same key waits for the other
transaction (PostgreSQL) instead of failing the unit of work.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_once(session: Session, target, *conflict_columns):
    """An INSERT into `target` (a mapped class or a Table) that does nothing for a row
    clashing on `conflict_columns`, which must form a unique constraint; add `.values()` /
    `.returning()` as usual."""
    insert = _INSERTS[session.get_bind().dialect.name]
    return insert(target).on_conflict_do_nothing(index_elements=list(conflict_columns))
