"""GET /api/events: server-sent events for dashboards (command outcomes, charger and connector
status, transaction changes).

Each event is `event: <type>` with `data: <JSON>`; a comment line every KEEPALIVE_SECONDS
keeps proxies from closing a quiet stream. The stream ends after `max_seconds`, and never
outlives the access token it was opened with (clients reconnect).
EventSource cannot send headers, so browsers open the stream with a one-use `?ticket=` from
POST /api/events/ticket/; an access token in the URL is refused (it would end up in logs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http import HTTPStatus

import marshmallow as ma
from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request
from flask_smorest import abort
from webargs.fields import DelimitedList

from domain.errors import PermissionDenied
from domain.models import Role, User
from domain.services.users import find_user_by_id
from web.access import event_tickets
from web.access.tickets import TICKET_SECONDS
from web.api.blueprint import BEARER_SCHEME, ApiBlueprint
from web.api.fields import charger_name
from web.auth import has_role
from web.extensions import database
from web.relay import EventType, relay

blp = ApiBlueprint("events", __name__, url_prefix="/api", description="Live events (SSE).")

KEEPALIVE_SECONDS = 15.0
REFUSED_QUERY_TOKEN = "access_token"
RECONNECT_MILLISECONDS = 2000


class EventQuerySchema(ma.Schema):
    charger = charger_name(metadata={"description": "Only this charger's events"})
    types = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf([str(kind) for kind in EventType])),
        metadata={"description": "Comma-separated event types (default: all)"},
    )
    ticket = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "A ticket from POST /api/events/ticket/ (one stream)"},
    )
    max_seconds = ma.fields.Integer(
        load_default=300,
        validate=ma.validate.Range(min=0, max=3600),
        metadata={
            "description": "Close the stream after this many seconds (clients reconnect); "
            "0 subscribes and closes at once"
        },
    )


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventQuerySchema, location="query")
    @blp.response(
        HTTPStatus.OK,
        content_type="text/event-stream",
        description="`event: command|charger|connector|transaction` lines with JSON `data:`",
    )
    @blp.alt_response(HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED")
    @blp.alt_response(HTTPStatus.FORBIDDEN, "FORBIDDEN")
    @blp.doc(security=[{BEARER_SCHEME: []}])
    def get(self, query):
        """Stream live events (viewer role; bearer token in the header, or a `ticket`)"""
        user, until = _caller(query.get("ticket"))
        if not has_role(user, Role.VIEWER):
            raise PermissionDenied(f"this needs the {Role.VIEWER} role or higher")
        seconds = min(query["max_seconds"], max(0.0, until - time.time()))
        stream = _stream(query.get("charger"), set(query.get("types") or ()), seconds)
        return Response(
            stream_with_context(stream),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


class TicketSchema(ma.Schema):
    ticket = ma.fields.String(required=True, metadata={"description": "For ?ticket= (one use)"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds to use it"})


@blp.route("/events/ticket/")
class EventTicket(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.CREATED, TicketSchema)
    def post(self):
        """A ticket that opens one event stream within a minute (for EventSource)

        The stream lasts no longer than the access token the ticket was asked with."""
        ticket = event_tickets().issue(current_user.id, get_jwt()["exp"])
        return {"ticket": ticket, "expires_in": TICKET_SECONDS}


def _caller(ticket: str | None) -> tuple[User, float]:
    """The stream's user and when its access ends (epoch seconds), from a ticket or the
    bearer token; 401 for an access token in the URL or a ticket unknown, used or expired."""
    if REFUSED_QUERY_TOKEN in request.args:
        abort(
            HTTPStatus.UNAUTHORIZED,
            message="an access token is not accepted in the URL: "
            "open the stream with a ticket from POST /api/events/ticket/",
        )
    if ticket is None:
        verify_jwt_in_request()
        return current_user, get_jwt()["exp"]
    grant = event_tickets().redeem(ticket)
    user = None
    if grant is not None:
        with database().unit_of_work() as session:
            user = find_user_by_id(session, grant.user_id)
    if user is None:
        abort(HTTPStatus.UNAUTHORIZED, message="the ticket is unknown, used or expired")
    return user, grant.until


def _stream(charger: str | None, types: set[str], max_seconds: float) -> Iterator[str]:
    subscription = relay().transport.subscribe_events()
    deadline = time.monotonic() + max_seconds
    try:
        # Subscribed before the first byte: a client that has read it misses nothing after.
        yield f"retry: {RECONNECT_MILLISECONDS}\n: subscribed\n\n"
        while (remaining := deadline - time.monotonic()) > 0:
            event = subscription.get(min(remaining, KEEPALIVE_SECONDS))
            if event is None:
                yield ": keep-alive\n\n"
            elif (charger is None or event.get("charger_id") == charger) and (
                not types or event.get("type") in types
            ):
                yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
    finally:
        subscription.close()
