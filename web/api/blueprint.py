"""The API's Blueprint: role checks that document themselves, and paging defaults."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from flask_smorest import Blueprint
from flask_smorest.pagination import PaginationParameters
from flask_smorest.utils import resolve_schema_instance

from domain.models import Role
from domain.queries.paging import Page, PageRequest
from web.auth import role_required
from web.extensions import database

BEARER_SCHEME = "bearerAuth"


class ApiBlueprint(Blueprint):
    # Lists are bare JSON arrays; the X-Pagination header carries total, pages and links.
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}

    def arguments(self, schema, *args, **kwargs) -> Callable:
        """flask-smorest's `arguments` with one schema instance for all requests: given a
        class, webargs builds an instance (deep-copying its fields) on every request."""
        return super().arguments(resolve_schema_instance(schema), *args, **kwargs)

    def requires(self, role: Role, locations: list[str] | None = None) -> Callable:
        """Decorator (outermost, so auth is checked before the body): a valid access token
        (from `locations`, default the headers) of a user with at least `role`; documents
        the bearer scheme and 401/403."""

        def decorator(view: Callable) -> Callable:
            guarded = role_required(role, locations)(view)
            for status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
                guarded = self.alt_response(status, status.name)(guarded)
            return self.doc(security=[{BEARER_SCHEME: []}])(guarded)

        return decorator


def paged(list_rows: Callable[..., Page], parameters: PaginationParameters, **filters) -> list:
    """One page of `list_rows(session, page, **filters)` (a domain query), after telling
    flask-smorest the total for the X-Pagination header."""
    with database().unit_of_work() as session:
        page = list_rows(session, PageRequest(parameters.page, parameters.page_size), **filters)
    parameters.item_count = page.total
    return page.items
