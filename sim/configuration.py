"""The simulated charger's configuration keys (OCPP 1.6 core profile, section 9.1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ocpp.v16.enums import ConfigurationStatus

MEASURANDS = {
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
}


def _non_negative_int(value: str) -> bool:
    return value.isdigit()


def _boolean(value: str) -> bool:
    return value.lower() in ("true", "false")


def _measurand_list(value: str) -> bool:
    return all(item.strip() in MEASURANDS for item in value.split(",") if item.strip())


@dataclass
class Key:
    value: str
    readonly: bool = False
    valid: Callable[[str], bool] | None = None


def default_keys(connectors: int, heartbeat_interval: int, meter_interval: int) -> dict[str, Key]:
    return {
        "AuthorizeRemoteTxRequests": Key("true", valid=_boolean),
        "ClockAlignedDataInterval": Key("0", valid=_non_negative_int),
        "ConnectionTimeOut": Key("60", valid=_non_negative_int),
        "GetConfigurationMaxKeys": Key("50", readonly=True),
        "HeartbeatInterval": Key(str(heartbeat_interval), valid=_non_negative_int),
        "LocalAuthorizeOffline": Key("false", valid=_boolean),
        "LocalPreAuthorize": Key("false", valid=_boolean),
        "MeterValueSampleInterval": Key(str(meter_interval), valid=_non_negative_int),
        "MeterValuesSampledData": Key(
            "Energy.Active.Import.Register,Power.Active.Import", valid=_measurand_list
        ),
        "NumberOfConnectors": Key(str(connectors), readonly=True),
        "ResetRetries": Key("3", valid=_non_negative_int),
        "StopTransactionOnEVSideDisconnect": Key("true", valid=_boolean),
        "StopTransactionOnInvalidId": Key("true", valid=_boolean),
        "SupportedFeatureProfiles": Key("Core,RemoteTrigger", readonly=True),
        "TransactionMessageAttempts": Key("3", valid=_non_negative_int),
        "TransactionMessageRetryInterval": Key("5", valid=_non_negative_int),
        "UnlockConnectorOnEVSideDisconnect": Key("true", valid=_boolean),
        "WebSocketPingInterval": Key("0", valid=_non_negative_int),
    }


class Configuration:
    """Key/value settings a central system reads with GetConfiguration and changes."""

    def __init__(self, keys: dict[str, Key]):
        self._keys = keys

    def get(self, names: list[str] | None) -> tuple[list[dict], list[str]]:
        """(configurationKey entries, unknownKey names) for the requested names (None = all)."""
        wanted = list(self._keys) if not names else names
        known, unknown = [], []
        for name in wanted:
            key = self._keys.get(name)
            if key is None:
                unknown.append(name)
            else:
                known.append({"key": name, "readonly": key.readonly, "value": key.value})
        return known, unknown

    def change(self, name: str, value: str) -> ConfigurationStatus:
        """Apply a ChangeConfiguration; unknown keys are NotSupported, bad values Rejected."""
        key = self._keys.get(name)
        if key is None:
            return ConfigurationStatus.not_supported
        if key.readonly or key.valid is None or not key.valid(value):
            return ConfigurationStatus.rejected
        key.value = value
        return ConfigurationStatus.accepted

    def integer(self, name: str) -> int:
        return int(self._keys[name].value)

    def flag(self, name: str) -> bool:
        return self._keys[name].value.lower() == "true"

    def measurands(self) -> list[str]:
        return [item.strip() for item in self._keys["MeterValuesSampledData"].value.split(",")]
