"""INSERT that skips a row whose unique key is already stored, in one statement.

PostgreSQL and SQLite both spell it `INSERT ... ON CONFLICT (...) DO NOTHING` and both answer
`RETURNING` with the rows actually inserted, so a retried message finds out in the same round
trip whether it stored anything; a concurrent insert of the same key waits for the other
transaction (PostgreSQL) instead of failing the unit of work.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_once(session: Session, target, *conflict_columns):
    """An INSERT into `target` (a mapped class or a Table) that does nothing for a row
    clashing on `conflict_columns`, which must form a unique constraint; add `.values()` /
    `.returning()` as usual."""
    insert = _INSERTS[dialect_of(session)]
    return insert(target).on_conflict_do_nothing(index_elements=list(conflict_columns))


@cache
def prepared_insert_once(dialect: str, table: Table, conflict_columns: tuple, returning: Column):
    """`insert_once` built once per dialect, table, key and RETURNING column: run it with
    `statement_connection(session).execute(statement, values)` (no statement built per call)."""
    insert = _INSERTS[dialect]
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(returning)
    )


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name
