"""Frames in: each broken shape earns the OCPP-J 1.6 CALLERROR, echoing what id it can."""

import json

import pytest

from domain.services.charger_calls import CHARGER_ACTIONS
from web.ocpp.framing import (
    BadFrame,
    IgnoredFrame,
    IncomingCall,
    IncomingError,
    IncomingResult,
    call_frame,
    error_frame,
    parse_frame,
    result_frame,
)


def parse(text):
    return parse_frame(text, CHARGER_ACTIONS)


@pytest.mark.parametrize(
    ("frame", "code", "unique_id"),
    [
        ("not json", "FormationViolation", "-1"),
        ('[2,"ab\\"c","Heartbeat",{', "FormationViolation", 'ab"c'),
        ('{"messageTypeId": 2}', "FormationViolation", "-1"),
        ("[]", "FormationViolation", "-1"),
        ('"text"', "FormationViolation", "-1"),
        ('["2","u1","Heartbeat",{}]', "FormationViolation", "u1"),
        ('[2.0,"u1","Heartbeat",{}]', "FormationViolation", "u1"),
        ('[true,"u1","Heartbeat",{}]', "FormationViolation", "u1"),
        ('[7,"u1","Heartbeat",{}]', "FormationViolation", "u1"),
        ('[2,17,"Heartbeat",{}]', "FormationViolation", 17),
        ('[2,"u1",5,{}]', "FormationViolation", "u1"),
        ('[2,"u1","Heartbeat",[]]', "FormationViolation", "u1"),
        ('[2,"u1","Heartbeat",{},{}]', "FormationViolation", "u1"),
        ('[2,"u1","Heartbeat"]', "ProtocolError", "u1"),
        ("[2]", "ProtocolError", "-1"),
        ('[2,"u1","FlyToTheMoon",{}]', "NotImplemented", "u1"),
        ('[2,"u1","RemoteStartTransaction",{"idTag":"x"}]', "NotSupported", "u1"),
        ('[2,"u1","GetConfiguration",{}]', "NotSupported", "u1"),
    ],
)
def test_a_broken_frame_earns_its_call_error(frame, code, unique_id):
    with pytest.raises(BadFrame) as refused:
        parse(frame)
    assert refused.value.code == code
    assert refused.value.unique_id == unique_id


def test_not_implemented_and_not_supported_say_what_1_6_says():
    with pytest.raises(BadFrame) as unknown:
        parse('[2,"u1","FlyToTheMoon",{}]')
    assert unknown.value.description == "Requested Action is not known by receiver"


@pytest.mark.parametrize(
    "frame", ['[3,"u1"]', '[3,"u1",[]]', "[3,5,{}]", '[4,"u1"]', '[4,"u1",5,"d",{}]']
)
def test_a_malformed_answer_is_ignored_never_answered(frame):
    with pytest.raises(IgnoredFrame):
        parse(frame)


def test_well_formed_messages_parse():
    assert parse('[2,"u1","Heartbeat",{}]') == IncomingCall("u1", "Heartbeat", {})
    assert parse('[3,"u2",{"status":"Accepted"}]') == IncomingResult("u2", {"status": "Accepted"})
    assert parse('[4,"u3","NotSupported","nope",{"a":1}]') == IncomingError(
        "u3", "NotSupported", "nope", {"a": 1}
    )
    assert parse('[4,"u4","GenericError","no details"]') == IncomingError(
        "u4", "GenericError", "no details", {}
    )


def test_every_charger_action_of_1_6_and_the_security_extension_is_supported():
    assert CHARGER_ACTIONS == {
        "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction",
        "StatusNotification", "StopTransaction", "SecurityEventNotification",
        "SignedFirmwareStatusNotification", "LogStatusNotification", "SignCertificate",
    }  # fmt: skip


def test_frames_out_are_compact_ocpp_j_arrays():
    assert json.loads(call_frame("c1", "Reset", {"type": "Soft"})) == [
        2,
        "c1",
        "Reset",
        {"type": "Soft"},
    ]
    assert result_frame("r1", {}) == '[3,"r1",{}]'
    assert json.loads(error_frame("e1", "InternalError", "boom")) == [
        4, "e1", "InternalError", "boom", {}
    ]  # fmt: skip
