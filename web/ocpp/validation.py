"""OCPP 1.6 JSON schema validation, usable by the socket and by the REST API.

The schemas are the `ocpp` package's (OCPP 1.6 plus the security extension). On top of
them we check `date-time` formats (jsonschema ignores formats by default), that every
integer fits in 32 bits (as OCPP 2.0.1 defines `integer`; our columns are 32-bit, except
transaction ids and meter readings: 64) and the connector ranges the 1.6 text states but
its schemas omit.

Every payload first meets a validator compiled once per schema by fastjsonschema (a
Python function, no per-call interpretation of the schema). Only a payload it refuses is
walked by jsonschema, which lists every violation: the answer to a broken frame is
unchanged, and a valid one costs one call.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for

from domain.clock import parse_timestamp
from web.ocpp.errors import CallErrorCode

SCHEMA_DIR = Path(ocpp.__file__).parent / "v16" / "schemas"
DRAFT4 = "http://json-schema.org/draft-04/schema#"
INT32 = (-(2**31), 2**31 - 1)
# 64-bit columns: a stop for a strange id, or a meter register past 2^31 Wh, is recorded.
INT64 = (-(2**63), 2**63 - 1)
INT64_FIELDS = {"transactionId": INT64, "meterStart": INT64, "meterStop": INT64}

# Connector ranges from the 1.6 text: StartTransaction needs a real connector (> 0);
# connector 0 means the charger itself in StatusNotification and MeterValues.
CONNECTOR_MINIMUM = {"StartTransaction": 1, "StatusNotification": 0, "MeterValues": 0}

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$")

# Which CALLERROR a failed schema keyword earns (OCPP-J 1.6 section 4.2.3).
_CODE_BY_KEYWORD = {
    "required": CallErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "minItems": CallErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": CallErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    "type": CallErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "additionalProperties": CallErrorCode.FORMATION_VIOLATION,
}
# When a payload breaks several rules, the CALLERROR names the most structural one.
_PRECEDENCE = (
    CallErrorCode.FORMATION_VIOLATION,
    CallErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
    CallErrorCode.TYPE_CONSTRAINT_VIOLATION,
    CallErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
)


class UnknownSchema(LookupError):
    """No OCPP 1.6 schema exists for this action."""


@dataclass(frozen=True)
class Violation:
    path: str
    message: str
    keyword: str
    code: CallErrorCode

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "code": self.code.value}


def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the "type" keyword reports non-strings
    if not _RFC3339.match(value):
        return False
    try:
        parse_timestamp(value)
    except ValueError:
        return False
    return True


def _is_any(value: object) -> bool:
    return True


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time")(_is_rfc3339)


def _tighten(node: Any, action: str) -> Any:
    """Add the 32-bit integer range everywhere, and the connector minimum where stated."""
    if isinstance(node, dict):
        tightened = {key: _tighten(value, action) for key, value in node.items()}
        properties = tightened.get("properties")
        if isinstance(properties, dict):
            for field_name, field_schema in properties.items():
                if isinstance(field_schema, dict):
                    properties[field_name] = _tighten_field(field_schema, action, field_name)
        return tightened
    if isinstance(node, list):
        return [_tighten(item, action) for item in node]
    return node


def _tighten_field(schema: dict, action: str, field_name: str) -> dict:
    if schema.get("type") != "integer":
        return schema
    schema = dict(schema)
    lowest, highest = INT64_FIELDS.get(field_name, INT32)
    schema.setdefault("minimum", lowest)
    schema.setdefault("maximum", highest)
    if field_name == "connectorId" and action in CONNECTOR_MINIMUM:
        schema["minimum"] = max(schema["minimum"], CONNECTOR_MINIMUM[action])
    return schema


def _schema(schema_name: str, action: str, parse_float: type) -> dict:
    path = SCHEMA_DIR / f"{schema_name}.json"
    if not path.is_file():
        raise UnknownSchema(schema_name)
    schema = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=parse_float)
    return _tighten(copy.deepcopy(schema), action)


@cache
def _validator(schema_name: str, action: str):
    schema = _schema(schema_name, action, Decimal)
    cls = validator_for(schema, default=Draft4Validator)
    return cls(schema, format_checker=_FORMATS)


@cache
def _compiled(schema_name: str, action: str) -> Callable[[Any], Any]:
    """The schema as one compiled function; defaults are not filled in, so the payload is
    never changed. Compiled as draft 4 even where the security extension says draft 6: the
    two differ here only in whether 1.0 is an integer, and jsonschema (which sees floats
    as Decimal) has always said no."""
    schema = {**_schema(schema_name, action, float), "$schema": DRAFT4}
    return fastjsonschema.compile(
        schema,
        # Like jsonschema here: date-time is checked, `uri` (GetDiagnostics) is not.
        formats={"date-time": _is_rfc3339, "uri": _is_any},
        use_default=False,
        detailed_exceptions=False,
    )


def has_schema(action: str) -> bool:
    return (SCHEMA_DIR / f"{action}.json").is_file()


def _code_for(error: ValidationError) -> CallErrorCode:
    return _CODE_BY_KEYWORD.get(error.validator, CallErrorCode.PROPERTY_CONSTRAINT_VIOLATION)


def _path_of(error: ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(payload)"


def schema_violations(action: str, payload: Any, response: bool = False) -> list[Violation]:
    """Every way `payload` breaks the 1.6 schema of `action` (its `.conf` when `response`).

    Returns an empty list for a valid payload; raises UnknownSchema for an unknown action.
    """
    schema_name = f"{action}Response" if response else action
    if type(payload) is dict and not payload and _accepts_empty_object(schema_name, action):
        return []  # e.g. every Heartbeat: the answer its schema gives, without a call
    try:
        _compiled(schema_name, action)(payload)
        return []
    except fastjsonschema.JsonSchemaValueException:
        pass  # refused: list every violation below
    return _listed_violations(schema_name, action, payload)


@cache
def _accepts_empty_object(schema_name: str, action: str) -> bool:
    """Whether the schema takes `{}` (then any empty payload is valid, once known)."""
    try:
        _compiled(schema_name, action)({})
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def _listed_violations(schema_name: str, action: str, payload: Any) -> list[Violation]:
    """Every violation, as jsonschema finds them (the slow path, for refused payloads)."""
    validator = _validator(schema_name, action)
    # Floats as Decimal, so `multipleOf: 0.1` holds for 21.4 (see jsonschema issue 247).
    instance = json.loads(json.dumps(payload), parse_float=Decimal)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [Violation(_path_of(e), e.message, str(e.validator), _code_for(e)) for e in errors]


def error_code_for(violations: list[Violation]) -> CallErrorCode:
    """The one CALLERROR code to answer for a non-empty list of violations."""
    codes = {violation.code for violation in violations}
    return next(code for code in _PRECEDENCE if code in codes)
