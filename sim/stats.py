"""Counters and latencies a simulated fleet collects, and the summary it prints."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples` (0.0 for no samples)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class FleetStats:
    """What every charger of a fleet reports; plain counters, no locking (one event loop)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    call_errors: Counter = field(default_factory=Counter)
    timeouts: Counter = field(default_factory=Counter)
    commands: Counter = field(default_factory=Counter)
    registrations: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)

    def call_answered(self, action: str, seconds: float) -> None:
        self.latencies[action].append(seconds)

    def call_failed(self, action: str, code: str) -> None:
        self.call_errors[f"{action}:{code}"] += 1

    def call_timed_out(self, action: str) -> None:
        self.timeouts[action] += 1

    def command_answered(self, action: str, status: str) -> None:
        self.commands[f"{action}:{status}"] += 1

    def count(self, event: str, amount: int = 1) -> None:
        self.events[event] += amount

    @property
    def messages_sent(self) -> int:
        answered = sum(len(samples) for samples in self.latencies.values())
        return answered + sum(self.call_errors.values()) + sum(self.timeouts.values())

    def as_dict(self) -> dict:
        """A JSON-ready summary: per-action counts and p50/p99 latency in milliseconds."""
        actions = {
            action: {
                "answered": len(samples),
                "p50_ms": round(percentile(samples, 0.50) * 1000, 2),
                "p99_ms": round(percentile(samples, 0.99) * 1000, 2),
            }
            for action, samples in sorted(self.latencies.items())
        }
        return {
            "events": dict(sorted(self.events.items())),
            "registrations": dict(sorted(self.registrations.items())),
            "actions": actions,
            "call_errors": dict(sorted(self.call_errors.items())),
            "timeouts": dict(sorted(self.timeouts.items())),
            "commands_answered": dict(sorted(self.commands.items())),
        }

    def summary_lines(self, elapsed: float) -> list[str]:
        """The human-readable end-of-run summary."""
        data = self.as_dict()
        lines = [f"simulated for {elapsed:.1f}s, {self.messages_sent} calls sent"]
        for name in ("events", "registrations", "call_errors", "timeouts", "commands_answered"):
            if data[name]:
                pairs = ", ".join(f"{key}={value}" for key, value in data[name].items())
                lines.append(f"{name}: {pairs}")
        lines.append(f"{'action':<28}{'answered':>10}{'p50 ms':>10}{'p99 ms':>10}")
        for action, row in data["actions"].items():
            lines.append(
                f"{action:<28}{row['answered']:>10}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}"
            )
        return lines
