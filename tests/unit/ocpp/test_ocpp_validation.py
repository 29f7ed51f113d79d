"""Schema validation: which CALLERROR each kind of payload fault earns (OCPP-J 1.6 4.2.3)."""

import pytest

from web.ocpp.validation import error_code_for, schema_violations

START = {"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "2025-01-01T00:00:00Z"}


def codes(action, payload, response=False):
    return [v.code.value for v in schema_violations(action, payload, response)]


PROPERTY = "PropertyConstraintViolation"
OCCURENCE = "OccurenceConstraintViolation"
TYPE = "TypeConstraintViolation"
NEVER = "2025-13-01T00:00:00Z"


@pytest.mark.parametrize(
    ("action", "payload", "code"),
    [
        ("BootNotification", {"chargePointVendor": "V"}, OCCURENCE),
        ("StartTransaction", {**START, "meterStart": "0"}, TYPE),
        ("StartTransaction", {**START, "idTag": 42}, TYPE),
        ("StartTransaction", {**START, "idTag": "X" * 21}, PROPERTY),
        ("StartTransaction", {**START, "timestamp": "yesterday"}, PROPERTY),
        ("StartTransaction", {**START, "timestamp": NEVER}, PROPERTY),
        ("StartTransaction", {**START, "timestamp": "2025-01-01"}, PROPERTY),
        ("StartTransaction", {**START, "connectorId": 0}, PROPERTY),
        ("StartTransaction", {**START, "meterStart": 2**63}, PROPERTY),
        ("StartTransaction", {**START, "connectorId": 2**31}, PROPERTY),
        ("StartTransaction", {**START, "colour": "red"}, "FormationViolation"),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"},
         PROPERTY),
        ("StatusNotification", {"connectorId": -1, "errorCode": "NoError", "status": "Available"},
         PROPERTY),
        ("MeterValues", {"connectorId": 1, "meterValue": []}, OCCURENCE),
        ("StopTransaction", {"meterStop": 1, "timestamp": "2025-01-01T00:00:00Z"}, OCCURENCE),
        ("SecurityEventNotification", {"type": "x", "timestamp": "soon"}, PROPERTY),
        ("SignedFirmwareStatusNotification", {"status": "Exploded"}, PROPERTY),
    ],
)  # fmt: skip
def test_each_fault_maps_to_its_code(action, payload, code):
    violations = schema_violations(action, payload)
    assert violations, "expected a violation"
    assert error_code_for(violations).value == code


def test_valid_payloads_have_no_violations():
    assert schema_violations("StartTransaction", START) == []
    assert schema_violations("StatusNotification", {"connectorId": 0, "errorCode": "NoError",
                                                    "status": "Available"}) == []  # fmt: skip
    assert schema_violations("Heartbeat", {}) == []
    huge_stop = {"transactionId": 2**40, "meterStop": 1, "timestamp": "2025-01-01T00:00:00Z"}
    assert schema_violations("StopTransaction", huge_stop) == []
    assert schema_violations("LogStatusNotification", {"status": "Uploaded", "requestId": 3}) == []
    assert (
        schema_violations("StartTransaction", {**START, "timestamp": "2025-01-01T02:00:00+02:00"})
        == []
    )


def test_every_violation_is_listed_with_its_path():
    violations = schema_violations("StartTransaction", {"connectorId": "1", "meterStart": 0})
    assert [(v.path, v.code.value) for v in violations] == [
        ("(payload)", "OccurenceConstraintViolation"),
        ("(payload)", "OccurenceConstraintViolation"),
        ("connectorId", "TypeConstraintViolation"),
    ]
    assert violations[0].as_dict()["message"] == "'idTag' is a required property"


def test_the_most_structural_fault_names_the_error():
    assert error_code_for(
        schema_violations("StartTransaction", {**START, "idTag": 5, "x": 1})
    ).value == ("FormationViolation")


def test_responses_are_checked_against_the_conf_schemas():
    assert codes("Authorize", {"idTagInfo": {"status": "Accepted"}}, response=True) == []
    assert codes("Authorize", {"idTagInfo": {"status": "Fine"}}, response=True) == [
        "PropertyConstraintViolation"
    ]


def test_decimal_multiples_hold_for_float_payloads():
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1, "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A",
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}]},
        },
    }  # fmt: skip
    assert schema_violations("SetChargingProfile", profile) == []


def test_meter_registers_past_32_bits_are_recorded_not_refused():
    assert schema_violations("StartTransaction", {**START, "meterStart": 2**31 + 5}) == []
    stop = {"transactionId": 1, "meterStop": 2**40, "timestamp": "2025-01-01T01:00:00Z"}
    assert schema_violations("StopTransaction", stop) == []
