"""Scoring a charger's health figures: 100 when nothing went wrong, points deducted per kind
of fault (each kind capped, so one noisy fault cannot hide all the others)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from domain.models import CommandStatus
from domain.services.health_boots import BootReason
from domain.services.health_figures import HealthFigures

PERFECT = 100


class DeductionReason(StrEnum):
    REPLACED_CONNECTIONS = "replaced_connections"
    MALFORMED_CALLS = "malformed_calls"
    METER_ANOMALIES = "meter_anomalies"
    UNAVAILABLE_SECONDS = "unavailable_seconds"
    FLAGGED_TRANSACTIONS = "flagged_transactions"
    REFUSED_FRAMES = "refused_frames"
    DROPPED_CONNECTIONS = "dropped_connections"
    SKEWED_CLOCK_READINGS = "skewed_clock_readings"
    FAILED_COMMANDS = "failed_commands"
    UNEXPLAINED_BOOTS = "unexplained_boots"
    LATE_HEARTBEATS = "late_heartbeats"


@dataclass(frozen=True)
class Deduction:
    reason: str
    points: int
    count: int


@dataclass(frozen=True)
class _Rule:
    reason: DeductionReason
    points_each: float
    cap: int
    # What the rule counts in a period; counts of adjacent periods add up.
    count: Callable[[HealthFigures], int]
    # How many of them cost nothing in a window.
    free: int = 0


_FAILED_COMMANDS = (CommandStatus.CALL_ERROR, CommandStatus.TIMEOUT)

_RULES = (
    _Rule(DeductionReason.REPLACED_CONNECTIONS, 10, 30, lambda f: f.replaced),
    _Rule(DeductionReason.MALFORMED_CALLS, 3, 30, lambda f: sum(f.protocol_errors.values())),
    _Rule(
        DeductionReason.METER_ANOMALIES,
        10,
        30,
        lambda f: f.backwards_readings + f.implausible_readings,
    ),
    _Rule(DeductionReason.FLAGGED_TRANSACTIONS, 10, 20, lambda f: f.flagged_transactions),
    _Rule(DeductionReason.REFUSED_FRAMES, 2, 20, lambda f: f.refused_frames),
    _Rule(DeductionReason.DROPPED_CONNECTIONS, 3, 15, lambda f: f.dropped),
    _Rule(DeductionReason.SKEWED_CLOCK_READINGS, 5, 15, lambda f: f.skewed),
    _Rule(
        DeductionReason.FAILED_COMMANDS,
        2,
        10,
        lambda f: sum(f.command_outcomes.get(status, 0) for status in _FAILED_COMMANDS),
    ),
    # The first boot in a window is a charger starting; more without a cause are crashes.
    _Rule(
        DeductionReason.UNEXPLAINED_BOOTS,
        3,
        15,
        lambda f: f.boot_reasons.get(BootReason.UNKNOWN, 0),
        free=1,
    ),
    _Rule(DeductionReason.LATE_HEARTBEATS, 1, 10, lambda f: f.late_heartbeats),
)


OBSERVED_SECONDS = "observed_seconds"
CONNECTED_SECONDS = "connected_seconds"
SCORE_COUNT_KEYS = (*(rule.reason.value for rule in _RULES), OBSERVED_SECONDS, CONNECTED_SECONDS)


def score_counts(figures: HealthFigures) -> dict[str, float]:
    """What the score depends on, as numbers that add up across periods (SCORE_COUNT_KEYS):
    the daily rollups keep them so a fleet ranking sums them instead of merging figures."""
    counts: dict[str, float] = {rule.reason.value: rule.count(figures) for rule in _RULES}
    counts[OBSERVED_SECONDS] = figures.observed_seconds
    counts[CONNECTED_SECONDS] = figures.connected_seconds
    return counts


def score(figures: HealthFigures) -> tuple[int, list[Deduction]]:
    """The score (0-100) and the deductions explaining it, worst first."""
    return score_from_counts(score_counts(figures))


def score_from_counts(counts: dict[str, float]) -> tuple[int, list[Deduction]]:
    """`score` of figures whose `score_counts` (or their sums over periods) are `counts`."""
    deductions = []
    for rule in _RULES:
        count = round(counts.get(rule.reason.value) or 0)
        points = round(min(rule.cap, max(0, count - rule.free) * rule.points_each))
        if count and points:
            deductions.append(Deduction(rule.reason, points, count))
    observed = counts.get(OBSERVED_SECONDS) or 0
    connected = counts.get(CONNECTED_SECONDS) or 0
    # Up to 30 points for a charger that was never connected in the window.
    unavailable = round(30 * (1 - connected / observed)) if observed > 0 else 0
    if unavailable:
        reason = DeductionReason.UNAVAILABLE_SECONDS
        deductions.append(Deduction(reason, unavailable, round(observed - connected)))
    deductions.sort(key=lambda deduction: (-deduction.points, deduction.reason))
    return max(0, PERFECT - sum(d.points for d in deductions)), deductions


def availability_percent(figures: HealthFigures) -> float | None:
    """Connected share of the observed time; None when the charger did not exist yet."""
    if figures.observed_seconds <= 0:
        return None
    return round(100 * figures.connected_seconds / figures.observed_seconds, 2)
