"""The OCPP 1.6 contract of central-system commands: which actions exist and what they carry.

Payloads and answers are checked against the JSON schemas the `ocpp` package ships for 1.6
and its security extension. Every violation is listed (not only the first), so an operator
can fix a request in one go.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import ocpp
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.validators import validator_for
from ocpp.v16.enums import Action

from domain.clock import parse_timestamp

SCHEMA_DIR = Path(ocpp.__file__).resolve().parent / "v16" / "schemas"

# Every action the central system may initiate in OCPP 1.6 (core, firmware, local list,
# reservation, smart charging, remote trigger) and in the 1.6 security extension.
COMMAND_ACTIONS: tuple[Action, ...] = (
    Action.remote_start_transaction,
    Action.remote_stop_transaction,
    Action.reset,
    Action.change_availability,
    Action.change_configuration,
    Action.get_configuration,
    Action.clear_cache,
    Action.unlock_connector,
    Action.data_transfer,
    Action.get_diagnostics,
    Action.update_firmware,
    Action.send_local_list,
    Action.get_local_list_version,
    Action.reserve_now,
    Action.cancel_reservation,
    Action.set_charging_profile,
    Action.clear_charging_profile,
    Action.get_composite_schedule,
    Action.trigger_message,
    Action.extended_trigger_message,
    Action.get_log,
    Action.signed_update_firmware,
    Action.certificate_signed,
    Action.install_certificate,
    Action.delete_certificate,
    Action.get_installed_certificate_ids,
)
_ACTIONS_BY_NAME = {str(action): action for action in COMMAND_ACTIONS}

_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        parse_timestamp(value)
    return True


def command_action(name: str) -> Action | None:
    """The command action called `name` (exact 1.6 spelling), or None."""
    return _ACTIONS_BY_NAME.get(name)


def request_violations(action: Action, payload: Any) -> list[str]:
    """Why `payload` is not a valid `action` request; empty when it is."""
    return _violations(_validator(f"{action}"), payload)


def response_violations(action: Action, payload: Any) -> list[str]:
    """Why `payload` is not a valid answer to `action`; empty when it is."""
    return _violations(_validator(f"{action}Response"), payload)


def _violations(validator, payload: Any) -> list[str]:
    # Decimals, so that a limit of 21.4 passes the schema's `multipleOf: 0.1`.
    exact = json.loads(json.dumps(payload), parse_float=Decimal)
    errors = sorted(validator.iter_errors(exact), key=lambda error: list(error.absolute_path))
    return [_describe(error) for error in errors]


def _describe(error) -> str:
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
    return f"{where.lstrip('.') or '(payload)'}: {error.message}"


@cache
def _validator(schema_name: str):
    text = (SCHEMA_DIR / f"{schema_name}.json").read_text(encoding="utf-8-sig")
    schema = json.loads(text, parse_float=Decimal)
    cls = validator_for(schema, default=Draft4Validator)
    return cls(schema, format_checker=_formats)
