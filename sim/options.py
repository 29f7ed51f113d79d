"""How one simulated charger behaves: where it connects and how it charges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChargerOptions:
    url: str
    auth_key: str | None = None
    connectors: int = 2
    vendor: str = "Voltline"
    model: str = "Simulator"
    heartbeat_interval: int | None = None
    meter_interval: int = 60
    session_duration: float = 120.0
    response_timeout: float = 30.0
    reboot_delay: float = 1.0
