"""GET /api/events: server-sent events for dashboards (command outcomes, charger and connector
status, transaction changes).

Each event is `event: <type>` with `data: <JSON>`; a comment line every KEEPALIVE_SECONDS
keeps proxies from closing a quiet stream. The stream ends after `max_seconds` (browsers'
EventSource reconnects by itself), so no stream outlives the token it was opened with by long.
EventSource cannot send headers, so the access token may also come as `?access_token=`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http import HTTPStatus

import marshmallow as ma
from flask import Response, stream_with_context
from flask.views import MethodView
from webargs.fields import DelimitedList

from domain.models import Role
from web.api.blueprint import ApiBlueprint
from web.api.fields import charger_name
from web.relay import EventType, relay

blp = ApiBlueprint("events", __name__, url_prefix="/api", description="Live events (SSE).")

KEEPALIVE_SECONDS = 15.0
TOKEN_QUERY_PARAMETER = "access_token"
RECONNECT_MILLISECONDS = 2000


@blp.record_once
def _token_in_query(state) -> None:
    # Assigned, not defaulted: flask-jwt-extended has already set its own default ("jwt").
    # Only this route reads tokens from the query string (JWT_TOKEN_LOCATION is headers).
    state.app.config["JWT_QUERY_STRING_NAME"] = TOKEN_QUERY_PARAMETER


class EventQuerySchema(ma.Schema):
    charger = charger_name(metadata={"description": "Only this charger's events"})
    types = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf([str(kind) for kind in EventType])),
        metadata={"description": "Comma-separated event types (default: all)"},
    )
    access_token = ma.fields.String(
        load_only=True,
        metadata={"description": "The access token, for clients that cannot send headers"},
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
    @blp.requires(Role.VIEWER, locations=["headers", "query_string"])
    @blp.arguments(EventQuerySchema, location="query")
    @blp.response(
        HTTPStatus.OK,
        content_type="text/event-stream",
        description="`event: command|charger|connector|transaction` lines with JSON `data:`",
    )
    def get(self, query):
        """Stream live events (viewer role; token in the header or `access_token`)"""
        stream = _stream(query.get("charger"), set(query.get("types") or ()), query["max_seconds"])
        return Response(
            stream_with_context(stream),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


def _stream(charger: str | None, types: set[str], max_seconds: int) -> Iterator[str]:
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
