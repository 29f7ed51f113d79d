"""A charger's health figures over a period, and how the figures of adjacent periods merge.

A long window is whole days read from the daily rollups plus the rest read raw
(health_records), merged. Counts and sums merge exactly; the p95 heartbeat gap merges as the
worst period's p95 and the clock-skew median as the sample-weighted mean of the periods'
medians (both exact within one period).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class HealthFigures:
    """What happened to one charger in one period (all counts within the period)."""

    observed_seconds: float = 0.0
    connected_seconds: float = 0.0
    opened: int = 0
    replaced: int = 0
    dropped: int = 0
    boots: int = 0
    boot_reasons: dict[str, int] = field(default_factory=dict)
    protocol_errors: dict[str, int] = field(default_factory=dict)
    refused_frames: int = 0
    command_outcomes: dict[str, int] = field(default_factory=dict)
    heartbeat_interval: int | None = None
    heartbeats: int = 0
    late_heartbeats: int = 0
    heartbeat_gap_p95: float | None = None
    skew_samples: int = 0
    skewed: int = 0
    skew_median: float | None = None
    skew_worst: float | None = None
    backwards_readings: int = 0
    implausible_readings: int = 0
    flagged_transactions: int = 0

    def merged(self, other: HealthFigures) -> HealthFigures:
        """The figures of this period followed by `other`."""
        result = HealthFigures()
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, dict):
                combined = dict(mine)
                for key, count in theirs.items():
                    combined[key] = combined.get(key, 0) + count
                setattr(result, item.name, combined)
            elif item.name in ("heartbeat_gap_p95", "heartbeat_interval"):
                setattr(result, item.name, _max_known(mine, theirs))
            elif item.name == "skew_worst":
                known = [value for value in (mine, theirs) if value is not None]
                result.skew_worst = max(known, key=abs) if known else None
            elif item.name != "skew_median":
                setattr(result, item.name, mine + theirs)
        result.skew_median = _weighted_median(self, other)
        return result

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HealthFigures:
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})


def _max_known(first, second):
    known = [value for value in (first, second) if value is not None]
    return max(known) if known else None


def _weighted_median(first: HealthFigures, second: HealthFigures) -> float | None:
    parts = [(f.skew_median, f.skew_samples) for f in (first, second) if f.skew_median is not None]
    weight = sum(samples for _, samples in parts)
    if not parts or weight == 0:
        return None
    return round(sum(median * samples for median, samples in parts) / weight, 3)
