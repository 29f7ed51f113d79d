"""Charger health: one charger's scorecard and the fleet ranked worst first."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView

from domain.clock import utcnow
from domain.models import ChargerStatus, Role
from domain.services.health import MAX_WINDOW_HOURS, charger_scorecard, list_fleet_health
from domain.services.health_score import PERFECT, DeductionReason
from domain.services.health_timeline import charger_timeline
from web.api.blueprint import ApiBlueprint, paged
from web.api.chargers import CHARGER_UNDER_CHARGERS, HEALTH
from web.api.fields import UTCDateTime, one_of, text
from web.extensions import database, settings

blp = ApiBlueprint(
    "charger-health",
    __name__,
    url_prefix="/api/chargers",
    description="Charger health scorecards and the fleet ranking.",
)

SCORE = ma.validate.Range(min=0, max=PERFECT)


def window_hours():
    return ma.fields.Integer(
        load_default=24,
        validate=ma.validate.Range(min=1, max=MAX_WINDOW_HOURS),
        metadata={"description": f"The window: this many hours up to now (1-{MAX_WINDOW_HOURS})"},
    )


class HealthQuerySchema(ma.Schema):
    hours = window_hours()


class FleetHealthQuerySchema(ma.Schema):
    hours = window_hours()
    min_score = ma.fields.Integer(
        validate=SCORE, metadata={"description": "Score at least (above max_score: none)"}
    )
    max_score = ma.fields.Integer(validate=SCORE, metadata={"description": "Score at most"})
    status = one_of(ChargerStatus)
    search = text(48, metadata={"description": "Part of the charger name, any case"})


class DeductionSchema(ma.Schema):
    reason = ma.fields.String(metadata={"enum": list(DeductionReason)})
    points = ma.fields.Integer()
    count = ma.fields.Integer()


def counts(description: str):
    return ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": description}
    )


class ConnectionsSchema(ma.Schema):
    opened = ma.fields.Integer()
    replaced = ma.fields.Integer(
        metadata={"description": "Taken over by another socket with the same identity"}
    )
    dropped = ma.fields.Integer(metadata={"description": "Ended without a close frame"})


class BootsSchema(ma.Schema):
    count = ma.fields.Integer()
    reasons = counts("HardReset, SoftReset, FirmwareUpdate or Unknown")


class ProtocolErrorsSchema(ma.Schema):
    by_code = counts("CALLERRORs we answered its CALLs with, by OCPP 1.6 code")
    refused_frames = ma.fields.Integer(metadata={"description": "Frames refused before parsing"})


class HeartbeatSchema(ma.Schema):
    expected_interval_seconds = ma.fields.Integer(allow_none=True)
    observed_p95_gap_seconds = ma.fields.Float(allow_none=True)
    late_count = ma.fields.Integer()


class ClockSkewSchema(ma.Schema):
    median = ma.fields.Float(allow_none=True, metadata={"description": "Charger minus us"})
    worst = ma.fields.Float(allow_none=True)


class MeterAnomaliesSchema(ma.Schema):
    backwards_readings = ma.fields.Integer()
    implausible_readings = ma.fields.Integer()
    flagged_transactions = ma.fields.Integer(
        metadata={"description": "Sessions finalize_session flagged with an anomaly"}
    )


class ScorecardSchema(ma.Schema):
    charger = ma.fields.String()
    window_hours = ma.fields.Integer()
    score = ma.fields.Integer(metadata={"description": "0-100, 100 = nothing wrong"})
    deductions = ma.fields.List(ma.fields.Nested(DeductionSchema))
    availability_percent = ma.fields.Float(allow_none=True)
    connections = ma.fields.Nested(ConnectionsSchema)
    boots = ma.fields.Nested(BootsSchema)
    protocol_errors = ma.fields.Nested(ProtocolErrorsSchema)
    command_outcomes = counts("Our commands to it, by recorded outcome")
    heartbeat = ma.fields.Nested(HeartbeatSchema)
    clock_skew_seconds = ma.fields.Nested(ClockSkewSchema)
    meter_anomalies = ma.fields.Nested(MeterAnomaliesSchema)


class SegmentSchema(ma.Schema):
    start = UTCDateTime()
    end = UTCDateTime()
    connected = ma.fields.Boolean()


class MessageRateSchema(ma.Schema):
    bucket_seconds = ma.fields.Float()
    counts = ma.fields.List(ma.fields.Integer(), metadata={"description": "Frames per bucket"})


class TimelineSchema(ma.Schema):
    since = UTCDateTime()
    until = UTCDateTime()
    segments = ma.fields.List(ma.fields.Nested(SegmentSchema))
    message_rate = ma.fields.Nested(MessageRateSchema)


class FleetEntrySchema(ma.Schema):
    charger = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(ChargerStatus)})
    score = ma.fields.Integer()
    top_deduction = ma.fields.Nested(DeductionSchema, allow_none=True)


@blp.route(f"/{HEALTH}/")
class FleetHealth(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(FleetHealthQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, FleetEntrySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Every charger's score and worst deduction, worst first, from the daily rollups
        (as fresh as the last roll_up_health run; the window counts whole UTC days)"""
        return paged(list_fleet_health, pagination_parameters, now=utcnow(), **query)


@blp.route(f"/{CHARGER_UNDER_CHARGERS}/{HEALTH}/")
class ChargerHealth(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(HealthQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, ScorecardSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, query, name):
        """The charger's health scorecard over the last `hours`"""
        with database().unit_of_work() as session:
            return charger_scorecard(
                session,
                name,
                hours=query["hours"],
                now=utcnow(),
                heartbeat_interval=settings().heartbeat_interval,
            )


@blp.route(f"/{CHARGER_UNDER_CHARGERS}/{HEALTH}/timeline/")
class ChargerTimeline(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(HealthQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, TimelineSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, query, name):
        """When the charger was connected, and its frames per time bucket, over `hours`"""
        with database().unit_of_work() as session:
            return charger_timeline(session, name, hours=query["hours"], now=utcnow())
