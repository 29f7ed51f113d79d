"""The history of charger and connector states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import Charger, StatusLog
from domain.queries.paging import Page, PageRequest, fetch_page, within


def list_status_logs(
    session: Session,
    page: PageRequest,
    *,
    charger: str | None = None,
    connector: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Newest first, as rows with `charger` (its name) beside the log's own columns.
    `connector` 0 means the charger itself."""
    statement = (
        select(
            StatusLog.id,
            Charger.name.label("charger"),
            StatusLog.connector_id,
            StatusLog.timestamp,
            StatusLog.status,
            StatusLog.message,
        )
        .join(Charger, Charger.id == StatusLog.charger_id)
        .order_by(StatusLog.timestamp.desc(), StatusLog.id.desc())
    )
    if charger is not None:
        statement = statement.where(Charger.name == charger)
    if connector is not None:
        statement = statement.where(StatusLog.connector_id == connector)
    if status is not None:
        statement = statement.where(StatusLog.status == status)
    statement = within(statement, StatusLog.timestamp, since, until)
    return fetch_page(session, statement, page)
