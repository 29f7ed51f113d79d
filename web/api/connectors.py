"""Connectors: a list across chargers and one connector of a charger."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView

from domain.models import ConnectorStatus, Role
from domain.queries.connectors import connector_detail, list_connectors
from web.api.blueprint import ApiBlueprint, paged
from web.api.fields import CHARGER_IN_URL, UTCDateTime, charger_name, one_of, text
from web.extensions import database

blp = ApiBlueprint(
    "connectors",
    __name__,
    url_prefix="/api",
    description="Connectors: `status` is the original design's word, `ocpp_status` the "
    "charger's own StatusNotification status.",
)


class ConnectorSchema(ma.Schema):
    charger = ma.fields.String(attribute="charger.name", dump_only=True)
    connector_id = ma.fields.Integer(dump_only=True, metadata={"description": "OCPP connectorId"})
    connector_tag = ma.fields.String(dump_only=True, metadata={"example": "connector_1"})
    type = ma.fields.String(dump_only=True, allow_none=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(ConnectorStatus)})
    ocpp_status = ma.fields.String(dump_only=True, allow_none=True)
    error_code = ma.fields.String(dump_only=True, allow_none=True)
    info = ma.fields.String(dump_only=True, allow_none=True)
    vendor_id = ma.fields.String(dump_only=True, allow_none=True)
    vendor_error_code = ma.fields.String(dump_only=True, allow_none=True)
    last_communication = UTCDateTime(dump_only=True, allow_none=True)


class ChargerConnectorSchema(ConnectorSchema):
    """A connector inside its charger's record."""

    class Meta:
        exclude = ("charger",)


class ConnectorQuerySchema(ma.Schema):
    charger = charger_name(metadata={"description": "Charger name"})
    status = one_of(ConnectorStatus)
    ocpp_status = text(32, metadata={"description": "e.g. Available, Charging, Faulted"})


@blp.route("/connectors/")
class Connectors(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(ConnectorQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, ConnectorSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List connectors by charger and connector id"""
        return paged(list_connectors, pagination_parameters, **query)


@blp.route(f"/chargers/{CHARGER_IN_URL}/connectors/<int(max=2147483647):connector_id>/")
class ConnectorDetail(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, ConnectorSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, name, connector_id):
        """One connector of a charger"""
        with database().unit_of_work() as session:
            return connector_detail(session, name, connector_id)
