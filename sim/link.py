"""The protocol side of one charger connection: answers the central system's commands.

Answers come from the simulated charger's own state; what a command sets in motion (a session,
a reboot, a triggered message) starts only after its answer went out, as on real firmware.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING

from ocpp.exceptions import NotImplementedError as ActionUnknown
from ocpp.exceptions import NotSupportedError as ActionNotSupported
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import (
    Action,
    AvailabilityType,
    ClearCacheStatus,
    DataTransferStatus,
    MessageTrigger,
    Reason,
    RemoteStartStopStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
)

from sim.notifications import notify_status, send_triggered
from sim.session import claim, launch

if TYPE_CHECKING:
    from sim.device import Device

KNOWN_ACTIONS = {action.value for action in Action}


class ChargerLink(ChargePoint):
    """The `ocpp` package's ChargePoint for one WebSocket of a SimulatedCharger."""

    def __init__(self, charger: Device, connection, response_timeout: float):
        super().__init__(charger.charger_id, connection, response_timeout=response_timeout)
        self.charger = charger
        self._follow_ups: dict[str, Callable[[], object]] = {}

    async def _handle_call(self, msg):
        # OCPP 1.6 section 4.2.3: NotImplemented = unknown action, NotSupported = known action
        # this charger does not support. The package answers the other way round.
        if msg.action not in self.route_map:
            error = ActionNotSupported if msg.action in KNOWN_ACTIONS else ActionUnknown
            raise error(description=f"{msg.action} is not supported by this charger")
        return await super()._handle_call(msg)

    def _answer(self, action: str, status: str, unique_id: str, follow_up=None) -> None:
        self.charger.stats.command_answered(action, status)
        if follow_up is not None:
            self._follow_ups[unique_id] = follow_up

    def _follow_up(self, unique_id: str) -> None:
        follow_up = self._follow_ups.pop(unique_id, None)
        if follow_up is not None:
            outcome = follow_up()
            if inspect.isawaitable(outcome):
                self.charger.spawn(outcome)

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, call_unique_id, connector_id=None, **_):
        connector = self.charger.connectors.free_connector(connector_id)
        if connector is None or self.charger.rebooting:
            status = RemoteStartStopStatus.rejected
            self._answer(Action.remote_start_transaction, status, call_unique_id)
        else:
            status = RemoteStartStopStatus.accepted
            session = claim(self.charger, connector, id_tag, remote=True)
            self._answer(
                Action.remote_start_transaction,
                status,
                call_unique_id,
                lambda: launch(self.charger, connector, session),
            )
        return call_result.RemoteStartTransaction(status=status)

    @after(Action.remote_start_transaction)
    def after_remote_start(self, call_unique_id, **_):
        self._follow_up(call_unique_id)

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id, call_unique_id, **_):
        connector = self.charger.connectors.with_transaction(transaction_id)
        if connector is None:
            status = RemoteStartStopStatus.rejected
            self._answer(Action.remote_stop_transaction, status, call_unique_id)
        else:
            status = RemoteStartStopStatus.accepted
            session = connector.session
            self._answer(
                Action.remote_stop_transaction,
                status,
                call_unique_id,
                lambda: session.request_stop(Reason.remote),
            )
        return call_result.RemoteStopTransaction(status=status)

    @after(Action.remote_stop_transaction)
    def after_remote_stop(self, call_unique_id, **_):
        self._follow_up(call_unique_id)

    @on(Action.reset)
    def on_reset(self, type, call_unique_id, **_):
        status = ResetStatus.accepted
        self._answer(
            Action.reset, status, call_unique_id, lambda: self.charger.reboot(ResetType(type))
        )
        return call_result.Reset(status=status)

    @after(Action.reset)
    def after_reset(self, call_unique_id, **_):
        self._follow_up(call_unique_id)

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, call_unique_id, **_):
        status = self.charger.configuration.change(key, value)
        self._answer(Action.change_configuration, status, call_unique_id)
        return call_result.ChangeConfiguration(status=status)

    @on(Action.get_configuration)
    def on_get_configuration(self, call_unique_id, key=None, **_):
        known, unknown = self.charger.configuration.get(key)
        self._answer(Action.get_configuration, "Answered", call_unique_id)
        return call_result.GetConfiguration(
            configuration_key=known or None, unknown_key=unknown or None
        )

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, call_unique_id, connector_id=None, **_):
        if connector_id not in (None, 0) and self.charger.connectors.get(connector_id) is None:
            status = TriggerMessageStatus.rejected
            self._answer(Action.trigger_message, status, call_unique_id)
        else:
            status = TriggerMessageStatus.accepted
            message = MessageTrigger(requested_message)
            self._answer(
                Action.trigger_message,
                status,
                call_unique_id,
                lambda: send_triggered(self.charger, message, connector_id),
            )
        return call_result.TriggerMessage(status=status)

    @after(Action.trigger_message)
    def after_trigger_message(self, call_unique_id, **_):
        self._follow_up(call_unique_id)

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, call_unique_id, **_):
        connector = self.charger.connectors.get(connector_id)
        if connector is None:
            # 1.6: NotSupported covers "no connector lock, or ConnectorId is unknown".
            status = UnlockStatus.not_supported
            self._answer(Action.unlock_connector, status, call_unique_id)
        else:
            status = UnlockStatus.unlocked
            session = connector.session
            stop = (lambda: session.request_stop(Reason.unlock_command)) if session else None
            self._answer(Action.unlock_connector, status, call_unique_id, stop)
        return call_result.UnlockConnector(status=status)

    @after(Action.unlock_connector)
    def after_unlock_connector(self, call_unique_id, **_):
        self._follow_up(call_unique_id)

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, call_unique_id, **_):
        status, changed = self.charger.connectors.change_availability(
            connector_id, AvailabilityType(type)
        )
        notify_charger = connector_id == 0 and bool(changed)
        self._answer(
            Action.change_availability,
            status,
            call_unique_id,
            lambda: notify_status(self.charger, changed, include_charger=notify_charger),
        )
        return call_result.ChangeAvailability(status=status)

    @after(Action.change_availability)
    def after_change_availability(self, call_unique_id, **_):
        self._follow_up(call_unique_id)

    @on(Action.clear_cache)
    def on_clear_cache(self, call_unique_id, **_):
        status = ClearCacheStatus.accepted
        self._answer(Action.clear_cache, status, call_unique_id)
        return call_result.ClearCache(status=status)

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, call_unique_id, **_):
        status = DataTransferStatus.unknown_vendor_id
        self._answer(Action.data_transfer, status, call_unique_id)
        return call_result.DataTransfer(status=status)
