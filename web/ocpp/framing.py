"""OCPP-J frames: text in, a typed message (or the CALLERROR it earns) out; messages out.

OCPP-J 1.6 section 4: CALL [2, id, action, payload], CALLRESULT [3, id, payload],
CALLERROR [4, id, code, description, details]. Which CALLERROR a broken frame earns:
not JSON, not an array, a wrong element type, or extra elements -> FormationViolation;
a CALL missing elements -> ProtocolError ("payload incomplete"); an unknown action ->
NotImplemented; a known action a charger does not send -> NotSupported; containers nested
deeper than MAX_NESTING -> FormationViolation. The unique id is echoed when it can be read,
as sent (a number stays a number), else "-1" (as OCPP 2.0.1 later standardised).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ocpp.messages import MessageType
from ocpp.v16.enums import Action

from web.ocpp.errors import DESCRIPTIONS, CallErrorCode, CallErrorReply

UNREADABLE_ID = "-1"
# Levels of arrays and objects in one frame; the deepest 1.6 message (StopTransaction with
# transactionData) has 6, and a bound keeps a hostile frame from exhausting the stack.
MAX_NESTING = 32
# The message type the message log gives a frame that could not be parsed.
UNPARSED = 0
# A unique id as a charger sent it: OCPP-J says string, but a number is echoed as sent.
UniqueId = str | int | float
KNOWN_ACTIONS = frozenset(action.value for action in Action)
# The unique id of a CALL whose JSON is broken, where the start is still readable.
_LEADING_CALL_ID = re.compile(r'^\s*\[\s*2\s*,\s*(?:"((?:[^"\\]|\\.){1,64})"|(-?\d{1,18})\s*,)')


@dataclass(frozen=True)
class IncomingCall:
    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncomingResult:
    unique_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncomingError:
    unique_id: str
    code: str
    description: str
    details: dict[str, Any] = field(default_factory=dict)


class BadFrame(CallErrorReply):
    """A frame that earns a CALLERROR; `unique_id` is what to echo."""

    def __init__(self, code: CallErrorCode, description: str, unique_id: UniqueId, parsed=None):
        super().__init__(code, description)
        self.unique_id = unique_id
        self.parsed = parsed


class IgnoredFrame(Exception):
    """A malformed CALLRESULT/CALLERROR: never answered (a CALLERROR only answers a CALL)."""

    def __init__(self, reason: str, parsed):
        super().__init__(reason)
        self.parsed = parsed


def parse_frame(
    text: str, supported_actions: frozenset[str]
) -> IncomingCall | IncomingResult | IncomingError:
    """The message in `text`; raises BadFrame (answer it) or IgnoredFrame (log it)."""
    try:
        message = json.loads(text)
    except ValueError:
        raise BadFrame(
            CallErrorCode.FORMATION_VIOLATION, "frame is not JSON", _leading_id(text)
        ) from None
    except RecursionError:
        raise BadFrame(CallErrorCode.FORMATION_VIOLATION, _TOO_DEEP, _leading_id(text)) from None
    if not isinstance(message, list) or not message:
        raise BadFrame(
            CallErrorCode.FORMATION_VIOLATION, "frame is not a JSON array", UNREADABLE_ID, message
        )
    type_id = message[0]
    unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    echo = _echo(message)
    if _may_nest_deeper_than(text, MAX_NESTING) and _nested_deeper_than(message, MAX_NESTING):
        # Not handed on (parsed=None): logging or validating it would recurse as deep.
        raise BadFrame(CallErrorCode.FORMATION_VIOLATION, _TOO_DEEP, echo)
    if type(type_id) is not int:
        raise BadFrame(
            CallErrorCode.FORMATION_VIOLATION, "MessageTypeId must be an integer", echo, message
        )
    if type_id == MessageType.Call:
        return _call(message, echo, supported_actions)
    if type_id == MessageType.CallResult:
        if len(message) != 3 or unique_id is None or not isinstance(message[2], dict):
            raise IgnoredFrame("malformed CALLRESULT", message)
        return IncomingResult(unique_id, message[2])
    if type_id == MessageType.CallError:
        if not 4 <= len(message) <= 5 or unique_id is None or not isinstance(message[2], str):
            raise IgnoredFrame("malformed CALLERROR", message)
        details = message[4] if len(message) == 5 and isinstance(message[4], dict) else {}
        return IncomingError(unique_id, message[2], str(message[3]), details)
    raise BadFrame(
        CallErrorCode.FORMATION_VIOLATION,
        f"MessageTypeId {type_id} is not 2, 3 or 4",
        echo,
        message,
    )


_TOO_DEEP = f"frame nests arrays and objects deeper than {MAX_NESTING} levels"


def _leading_id(text: str) -> str | int:
    """The unique id at the start of a CALL whose JSON is broken, else "-1"."""
    match = _LEADING_CALL_ID.match(text)
    if match is None:
        return UNREADABLE_ID
    if match.group(1) is not None:
        return json.loads(f'"{match.group(1)}"')
    return int(match.group(2))


def _echo(message: list) -> UniqueId:
    """The unique id to echo: a string or a number as sent, anything else "-1"."""
    unique_id = message[1] if len(message) > 1 else None
    if isinstance(unique_id, UniqueId) and not isinstance(unique_id, bool):
        return unique_id
    return UNREADABLE_ID


def _may_nest_deeper_than(text: str, limit: int) -> bool:
    """False when the frame's text cannot nest deeper than `limit`: every level opens with a
    bracket or a brace, so fewer of them in all bound the depth (counted in C, where walking
    the parsed frame costs microseconds; brackets inside strings only make it a walk)."""
    return text.count("[") + text.count("{") > limit


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects in `value` nest more than `limit` levels (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, list | dict))
    return False


def _call(message: list, echo: UniqueId, supported_actions: frozenset[str]) -> IncomingCall:
    if len(message) > 1 and not isinstance(message[1], str):
        raise BadFrame(
            CallErrorCode.FORMATION_VIOLATION, "UniqueId must be a string", echo, message
        )
    if len(message) < 4:
        raise BadFrame(
            CallErrorCode.PROTOCOL_ERROR,
            "CALL needs MessageTypeId, UniqueId, Action and payload",
            echo,
            message,
        )
    if len(message) > 4:
        raise BadFrame(CallErrorCode.FORMATION_VIOLATION, "CALL has extra elements", echo, message)
    _, unique_id, action, payload = message
    if not isinstance(action, str):
        raise BadFrame(CallErrorCode.FORMATION_VIOLATION, "Action must be a string", echo, message)
    if not isinstance(payload, dict):
        raise BadFrame(
            CallErrorCode.FORMATION_VIOLATION, "payload must be a JSON object", echo, message
        )
    if action not in KNOWN_ACTIONS:
        raise BadFrame(
            CallErrorCode.NOT_IMPLEMENTED,
            DESCRIPTIONS[CallErrorCode.NOT_IMPLEMENTED],
            echo,
            message,
        )
    if action not in supported_actions:
        raise BadFrame(
            CallErrorCode.NOT_SUPPORTED,
            f"{action} is sent by a central system, not a charger",
            echo,
            message,
        )
    return IncomingCall(unique_id, action, payload)


# Built once: json.dumps with these options builds an encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _dumps(message: list) -> str:
    return _ENCODER.encode(message)


def call_frame(unique_id: str, action: str, payload: dict) -> str:
    return _dumps([MessageType.Call, unique_id, action, payload])


def result_frame(unique_id: str, payload: dict) -> str:
    return _dumps([MessageType.CallResult, unique_id, payload])


def error_frame(
    unique_id: UniqueId, code: str, description: str, details: dict | None = None
) -> str:
    return _dumps([MessageType.CallError, unique_id, str(code), description, details or {}])
