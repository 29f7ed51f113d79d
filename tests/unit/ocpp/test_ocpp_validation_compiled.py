"""The compiled validators accept exactly what jsonschema accepts, for every OCPP 1.6 schema
(security extension included), and every refusal keeps its CALLERROR code.

The corpus is built from the schemas themselves: one valid payload per schema (every
property filled in) and, from it, one payload per way of breaking each field.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from web.ocpp.validation import (
    SCHEMA_DIR,
    _compiled,
    _listed_violations,
    error_code_for,
    schema_violations,
)

SCHEMAS = sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))
WHEN = "2025-01-01T00:00:00Z"


def _load(name: str) -> dict:
    """The schema with its `#/definitions/...` references (security extension) inlined."""
    root = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8-sig"))
    return _inline(root, root.get("definitions", {}))


def _inline(node: Any, definitions: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


def _action_of(name: str) -> str:
    return name.removesuffix("Response")


def valid_value(schema: dict) -> Any:
    """A value that satisfies `schema` (the first enum word, small numbers, one item)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {key: valid_value(sub) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [valid_value(schema.get("items", {}))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 21.4 if "multipleOf" in schema else 1.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return WHEN
    return "x"


def broken_values(schema: dict) -> list[Any]:
    """Values of the wrong type, outside the range, too long, unknown words, bad times."""
    kind = schema.get("type")
    wrong = [None, [], {}, "1", 1, 1.5, 1.0, True]
    values = [v for v in wrong if not _fits_type(v, kind)]
    if "enum" in schema:
        values.append("NotAWord")
    if "maxLength" in schema:
        values.append("y" * (schema["maxLength"] + 1))
        values.append("y" * schema["maxLength"])
    if kind == "integer":
        values += [-1, 0, 2**31, 2**63, -(2**31) - 1]
    if kind == "number":
        values += [21.45, 0.30000000000000004, -1.5]
    if schema.get("format") == "date-time":
        values += ["yesterday", "2025-13-01T00:00:00Z", "2025-01-01", "2025-01-01T02:00:00+02:00"]
    return values


def _fits_type(value: Any, kind: str | None) -> bool:
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    return kind is None or checks[kind](value)


def mutations(schema: dict, value: Any) -> list[Any]:
    """`value` broken in one place at a time, at every depth."""
    found = []
    if schema.get("type") == "object" and isinstance(value, dict):
        found.append({**value, "colour": "red"})
        for key in schema.get("required", []):
            found.append({k: v for k, v in value.items() if k != key})
        for key, sub in schema.get("properties", {}).items():
            for broken in broken_values(sub) + mutations(sub, value[key]):
                found.append({**value, key: broken})
    if schema.get("type") == "array" and isinstance(value, list):
        found.append([])
        found += [[broken] for broken in mutations(schema.get("items", {}), value[0])]
    return found


def corpus() -> list[tuple[str, str, Any]]:
    cases = []
    for name in SCHEMAS:
        schema = _load(name)
        valid = valid_value(schema)
        minimal = {key: valid[key] for key in schema.get("required", [])}
        cases += [(name, "valid", valid), (name, "required only", minimal)]
        cases += [(name, f"broken {i}", p) for i, p in enumerate(mutations(schema, valid))]
    cases += [(name, "not an object", payload) for name in SCHEMAS for payload in ([], "x", 1)]
    return cases


CORPUS = corpus()


def test_the_corpus_covers_every_schema_with_valid_and_invalid_payloads():
    assert len(SCHEMAS) == 78  # 1.6 requests and responses plus the security extension
    assert "SignedUpdateFirmware" in SCHEMAS and "SecurityEventNotification" in SCHEMAS
    verdicts = {(name, not _listed_violations(name, _action_of(name), p)) for name, _, p in CORPUS}
    assert {name for name, accepted in verdicts if accepted} == set(SCHEMAS)
    assert {name for name, accepted in verdicts if not accepted} == set(SCHEMAS)


@pytest.mark.parametrize(
    ("name", "case", "payload"), CORPUS, ids=[f"{n}-{c}" for n, c, _ in CORPUS]
)
def test_compiled_validator_agrees_with_jsonschema(name, case, payload):
    action = _action_of(name)
    untouched = copy.deepcopy(payload)
    reference = _listed_violations(name, action, payload)
    try:
        _compiled(name, action)(payload)
        accepted = True
    except Exception:  # noqa: BLE001 - any refusal counts
        accepted = False
    assert accepted == (not reference), reference
    assert payload == untouched  # no defaults filled in
    violations = schema_violations(action, payload, response=name.endswith("Response"))
    assert violations == reference
    if reference:
        assert error_code_for(violations) is error_code_for(reference)


@pytest.mark.parametrize("name", SCHEMAS)
def test_an_empty_payload_gets_the_answer_jsonschema_gives(name):
    action = _action_of(name)
    response = name.endswith("Response")
    for _ in range(2):  # the verdict is kept after the first
        assert schema_violations(action, {}, response=response) == _listed_violations(
            name, action, {}
        )
