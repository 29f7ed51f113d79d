"""One pipeline, two entry points: send-command takes a charger's 36-character UUID idTag
verbatim, while over the charger's socket an idTag stays OCPP 1.6's CiString20."""

from __future__ import annotations

import random

import pytest

from domain.boot_storm import BootStormGuard
from domain.events import EventBus
from domain.services.chargers import create_charger
from web.ocpp.framing import IncomingCall
from web.ocpp.handlers import CallHandler, Refused, Source

UUID_TAG = "e0607b18-2f62-4621-8f4f-ceb6c002e2e0"


@pytest.fixture
def pipeline(db, settings):
    with db.unit_of_work() as session:
        create_charger(session, "cp1", connector_ids=(1,))
    return CallHandler(db, settings, BootStormGuard(1, random.Random(5)), EventBus())


def start(id_tag: str) -> IncomingCall:
    payload = {"connectorId": 1, "idTag": id_tag, "meterStart": 0,
               "timestamp": "2025-01-01T00:00:00Z"}  # fmt: skip
    return IncomingCall("u1", "StartTransaction", payload)


def test_a_uuid_id_tag_is_taken_from_send_command(pipeline):
    conf = pipeline.run("cp1", start(UUID_TAG), Source.API)
    assert not isinstance(conf, Refused) and conf["transactionId"] == 1


def test_a_uuid_id_tag_from_the_charger_socket_breaks_the_1_6_schema(pipeline):
    refused = pipeline.run("cp1", start(UUID_TAG), Source.CHARGER)
    assert isinstance(refused, Refused) and refused.cause is None
    assert refused.error.code.value == "PropertyConstraintViolation"
    assert [v["path"] for v in refused.error.details["violations"]] == ["idTag"]


@pytest.mark.parametrize("source", [Source.API, Source.CHARGER])
def test_an_id_tag_longer_than_a_uuid_is_refused_from_either_entry(pipeline, source):
    refused = pipeline.run("cp1", start("x" * 37), source)
    assert isinstance(refused, Refused)
    assert [v["path"] for v in refused.error.details["violations"]] == ["idTag"]
