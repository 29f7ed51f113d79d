"""The idTags chargers may authorize."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import IdTag
from domain.queries.paging import Page, PageRequest, fetch_page


def list_id_tags(
    session: Session,
    page: PageRequest,
    *,
    status: str | None = None,
    search: str | None = None,
    parent_id_tag: str | None = None,
) -> Page:
    """IdTags by tag; `search` matches a substring of the tag, any case."""
    statement = select(IdTag).order_by(IdTag.id_tag)
    if status is not None:
        statement = statement.where(IdTag.status == status)
    if search:
        statement = statement.where(IdTag.id_tag.icontains(search, autoescape=True))
    if parent_id_tag is not None:
        statement = statement.where(IdTag.parent_id_tag == parent_id_tag)
    return fetch_page(session, statement, page)
