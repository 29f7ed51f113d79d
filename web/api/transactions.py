"""Charging sessions (GET /api/transactions/ is a bare JSON array, as in the original design)
and the meter values of one session."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView

from domain.models import Role, TransactionStatus, TransactionType
from domain.queries.transactions import (
    energy_series,
    list_meter_values,
    list_transactions,
    transaction_detail,
)
from web.api.blueprint import ApiBlueprint, paged
from web.api.fields import ID_TAG_LENGTH, UTCDateTime, charger_name, one_of, text
from web.extensions import database

blp = ApiBlueprint(
    "transactions", __name__, url_prefix="/api/transactions", description="Charging sessions."
)

TRANSACTION_ID = "<int(max=9223372036854775807):transaction_id>"
INT32 = ma.validate.Range(min=0, max=2**31 - 1)


class TransactionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True, metadata={"description": "The OCPP transactionId"})
    charger = ma.fields.String(attribute="charger.name", dump_only=True)
    connector = ma.fields.Integer(
        attribute="connector.connector_id", dump_only=True, metadata={"description": "connectorId"}
    )
    connector_tag = ma.fields.String(attribute="connector.connector_tag", dump_only=True)
    id_tag = ma.fields.String(dump_only=True)
    start_time = UTCDateTime(dump_only=True)
    end_time = UTCDateTime(dump_only=True, allow_none=True)
    meter_start = ma.fields.Integer(dump_only=True, metadata={"description": "Wh"})
    meter_stop = ma.fields.Integer(dump_only=True, allow_none=True, metadata={"description": "Wh"})
    energy_consumed_kwh = ma.fields.Float(
        data_key="energy_consumed_kWh", dump_only=True, allow_none=True
    )
    energy_so_far_kwh = ma.fields.Float(
        data_key="energy_so_far_kWh",
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Active: the latest energy register reading minus meter_start; "
            "otherwise energy_consumed_kWh"
        },
    )
    status = ma.fields.String(dump_only=True, metadata={"enum": list(TransactionStatus)})
    type = ma.fields.String(dump_only=True, metadata={"enum": list(TransactionType)})
    stop_reason = ma.fields.String(dump_only=True, allow_none=True)
    stop_id_tag = ma.fields.String(dump_only=True, allow_none=True)
    reservation_id = ma.fields.Integer(dump_only=True, allow_none=True)
    anomaly = ma.fields.String(dump_only=True, allow_none=True)


class TransactionQuerySchema(ma.Schema):
    charger = charger_name(metadata={"description": "Charger name"})
    connector = ma.fields.Integer(validate=INT32, metadata={"description": "OCPP connectorId"})
    status = one_of(TransactionStatus)
    id_tag = text(ID_TAG_LENGTH, metadata={"description": "Any case"})
    since = UTCDateTime(metadata={"description": "Started at or after (ISO-8601)"})
    until = UTCDateTime(metadata={"description": "Started before (ISO-8601)"})


class MeterValueSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    timestamp = UTCDateTime(dump_only=True)
    measurand = ma.fields.String(dump_only=True)
    phase = ma.fields.String(dump_only=True, allow_none=True)
    unit = ma.fields.String(dump_only=True, allow_none=True)
    context = ma.fields.String(dump_only=True, allow_none=True)
    location = ma.fields.String(dump_only=True, allow_none=True)
    format = ma.fields.String(dump_only=True, allow_none=True)
    value = ma.fields.String(dump_only=True, metadata={"description": "As the charger sent it"})


class EnergyPointSchema(ma.Schema):
    timestamp = UTCDateTime(dump_only=True)
    energy_kwh = ma.fields.Float(
        data_key="energy_kWh", dump_only=True, metadata={"description": "Since meter_start"}
    )
    power_kw = ma.fields.Float(
        data_key="power_kW",
        dump_only=True,
        allow_none=True,
        metadata={"description": "Average since the reading before (none for the first)"},
    )


class MeterValueQuerySchema(ma.Schema):
    measurand = text(64, metadata={"example": "Energy.Active.Import.Register"})
    since = UTCDateTime()
    until = UTCDateTime()


@blp.route("/")
class Transactions(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(TransactionQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, TransactionSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, query, pagination_parameters):
        """List transactions, newest first (a bare JSON array; X-Pagination has the totals)"""
        return paged(list_transactions, pagination_parameters, **query)


@blp.route(f"/{TRANSACTION_ID}/")
class TransactionDetail(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, TransactionSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, transaction_id):
        """One transaction"""
        with database().unit_of_work() as session:
            return transaction_detail(session, transaction_id)


@blp.route(f"/{TRANSACTION_ID}/meter-values/")
class MeterValues(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(MeterValueQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, MeterValueSchema(many=True))
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, query, transaction_id, pagination_parameters):
        """The transaction's sampled values in time order"""
        return paged(
            list_meter_values, pagination_parameters, transaction_id=transaction_id, **query
        )


@blp.route(f"/{TRANSACTION_ID}/energy/")
class Energy(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, EnergyPointSchema(many=True))
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, transaction_id):
        """Energy and power over time, from the session's total energy register readings"""
        with database().unit_of_work() as session:
            return energy_series(session, transaction_id)
