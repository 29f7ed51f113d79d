"""The history of charger and connector states."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView

from domain.models import Role
from domain.queries.status_logs import list_status_logs
from web.api.blueprint import ApiBlueprint, paged
from web.api.fields import UTCDateTime, charger_name, text

blp = ApiBlueprint(
    "status-logs",
    __name__,
    url_prefix="/api/status-logs",
    description="Status history: connections, StatusNotifications, the original design's words.",
)


class StatusLogSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    charger = ma.fields.String(dump_only=True)
    connector_id = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "0 or none: the charger"}
    )
    timestamp = UTCDateTime(dump_only=True)
    status = ma.fields.String(dump_only=True)
    message = ma.fields.String(dump_only=True, allow_none=True)


class StatusLogQuerySchema(ma.Schema):
    charger = charger_name(metadata={"description": "Charger name"})
    connector = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=2**31 - 1),
        metadata={"description": "OCPP connectorId; 0 is the charger"},
    )
    status = text(64)
    since = UTCDateTime()
    until = UTCDateTime()


@blp.route("/")
class StatusLogs(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(StatusLogQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, StatusLogSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, query, pagination_parameters):
        """List status changes, newest first"""
        return paged(list_status_logs, pagination_parameters, **query)
