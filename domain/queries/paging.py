"""Pages of a query: the slice asked for and the total it was cut from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session


@dataclass(frozen=True)
class PageRequest:
    """Page `number` (from 1) of `size` rows."""

    number: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int


def fetch_page(session: Session, statement: Select, page: PageRequest) -> Page:
    """Run `statement` for one page; a page past the end is empty (and costs one count).

    Items are entities when the statement selects one, named rows when it selects columns."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if page.offset >= total:
        return Page([], total)
    result = session.execute(statement.limit(page.size).offset(page.offset))
    items = result.scalars().all() if len(statement.column_descriptions) == 1 else result.all()
    return Page(list(items), total)


def within(
    statement: Select,
    column: InstrumentedAttribute,
    since: datetime | None,
    until: datetime | None,
) -> Select:
    """Restrict `statement` to since <= column < until (either bound optional)."""
    if since is not None:
        statement = statement.where(column >= since)
    if until is not None:
        statement = statement.where(column < until)
    return statement
