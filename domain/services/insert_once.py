"""INSERT that skips a row whose unique key is already stored, in one statement.

PostgreSQL and SQLite both spell it `INSERT ... ON CONFLICT (...) DO NOTHING` and both answer
`RETURNING` with the rows actually inserted, so a retried message finds out in the same round
trip whether it stored anything; a concurrent insert of the same key waits for the other
transaction (PostgreSQL) instead of failing the unit of work.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Column, CursorResult, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.db import statement_connection

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_once(
    session: Session, table: Table, conflict_columns: tuple, returning: Column, values
) -> CursorResult:
    """INSERT `values` (one row's dict, or a list of them) into `table`, skipping each row
    that clashes on `conflict_columns` (a unique constraint); the result holds `returning`
    of the rows actually inserted. Runs in the session's transaction; commits nothing."""
    statement = _statement(session.get_bind().dialect.name, table, conflict_columns, returning)
    return statement_connection(session).execute(statement, values)


@cache
def _statement(dialect: str, table: Table, conflict_columns: tuple, returning: Column):
    """Built once per dialect, table, key and RETURNING column (a statement built per call
    costs more CPU than its round trip)."""
    insert = _INSERTS[dialect]
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(returning)
    )
