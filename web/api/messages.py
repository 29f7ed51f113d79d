"""The OCPP message log of one charger: every frame in and out, and send-command calls."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView

from domain.models import Direction, Role
from domain.queries.messages import list_messages
from web.api.blueprint import ApiBlueprint, paged
from web.api.fields import CHARGER_IN_URL, UTCDateTime, one_of, text

blp = ApiBlueprint(
    "messages", __name__, url_prefix="/api/chargers", description="OCPP message log."
)


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    direction = ma.fields.String(dump_only=True, metadata={"enum": list(Direction)})
    message_type = ma.fields.Integer(
        dump_only=True, metadata={"description": "2 CALL, 3 CALLRESULT, 4 CALLERROR, 0 unparsed"}
    )
    unique_id = ma.fields.String(dump_only=True, allow_none=True)
    action = ma.fields.String(dump_only=True, allow_none=True)
    payload = ma.fields.Raw(dump_only=True, allow_none=True, metadata={"description": "As sent"})
    source = ma.fields.String(
        dump_only=True, metadata={"description": "charger: its socket; api: send-command"}
    )
    created_at = UTCDateTime(dump_only=True)


class MessageQuerySchema(ma.Schema):
    direction = one_of(Direction)
    action = text(64, metadata={"example": "BootNotification"})
    source = text(16, metadata={"example": "api"})
    since = UTCDateTime()
    until = UTCDateTime()


@blp.route(f"/{CHARGER_IN_URL}/messages/")
class Messages(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(MessageQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, MessageSchema(many=True))
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, query, name, pagination_parameters):
        """A charger's OCPP frames, newest first"""
        return paged(list_messages, pagination_parameters, charger=name, **query)
