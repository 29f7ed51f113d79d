"""The actions a central system may initiate in OCPP 1.6 and its security extension.

Their payloads are checked against the 1.6 JSON schemas at the edges (web/ocpp/validation.py)
before a command is created, and the charger's answers before their side effects are kept.
"""

from __future__ import annotations

from ocpp.v16.enums import Action

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


def command_action(name: str) -> Action | None:
    """The command action called `name` (exact 1.6 spelling), or None."""
    return _ACTIONS_BY_NAME.get(name)
