"""What every scenario prints: its figures, ratios against same-run baselines, targets."""

from __future__ import annotations

import json
import os
import platform
import resource
from dataclasses import dataclass, field

from domain.clock import to_wire, utcnow


@dataclass
class Report:
    scenario: str
    figures: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started_pids: list[int] = field(default_factory=list)

    def figure(self, name: str, value: float, unit: str) -> float:
        self.figures[name] = value
        self.units[name] = unit
        return value

    def ratio(self, name: str, numerator: float, denominator: float) -> float:
        value = numerator / denominator if denominator else 0.0
        self.ratios[name] = value
        return value

    def target(self, description: str, met: bool) -> None:
        self.targets[description] = met

    def started(self, pids: list[int]) -> None:
        """Record server processes this run started (all must be gone when it ends)."""
        self.started_pids.extend(pids)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lines(self) -> list[str]:
        out = [f"== {self.scenario} ==", machine_line()]
        width = max((len(name) for name in self.figures), default=0)
        for name, value in self.figures.items():
            out.append(f"  {name:<{width}}  {value:>12,.2f} {self.units[name]}")
        for name, value in self.ratios.items():
            out.append(f"  ratio {name}: {value:.2f}x")
        for description, met in self.targets.items():
            out.append(f"  target {description}: {'met' if met else 'NOT met'}")
        out.extend(f"  note: {text}" for text in self.notes)
        return out

    def print(self, as_json: bool = False) -> None:
        if as_json:
            print(json.dumps(self.as_dict(), indent=2))
        else:
            print("\n".join(self.lines()), flush=True)

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "measured_at": to_wire(utcnow()),
            "machine": machine_line(),
            "figures": self.figures,
            "units": self.units,
            "ratios": self.ratios,
            "targets": self.targets,
            "notes": self.notes,
            "started_pids": self.started_pids,
        }


def machine_line() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return (
        f"  {to_wire(utcnow())} {platform.machine()} {os.cpu_count()} cores, "
        f"load {load}, ulimit -n {soft}, Python {platform.python_version()}"
    )


def progress(text: str) -> None:
    print(f"  .. {text}", flush=True)
