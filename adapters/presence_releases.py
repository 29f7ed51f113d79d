"""The presence releases of closed sockets, many per Redis round trip.

When thousands of chargers drop at once (a site's network going down), one release round
trip per socket held the worker's one core for a second and more while other chargers'
Heartbeats waited. Closed sockets queue their release here instead; a background pass (a
greenlet under gevent) sends what has gathered as one pipeline and then hands each socket
the answer: released (it was ours), not released (another node, or nobody, holds the charger
now), or None (Redis could not be asked: presence is best effort).

A charger whose new socket is already live on this node keeps its claim: its release is
skipped (and answered as released, since the claim is this node's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from adapters.background_pass import BackgroundBatches
from adapters.presence import Presence

log = logging.getLogger(__name__)

MAX_BATCH = 1000  # releases per round trip

Released = Callable[[bool | None], None]


class BatchedReleases:
    """Releases `presence` claims in batches; `live_here(name)` says whether this node holds
    a live socket of the charger again (then its claim stays)."""

    def __init__(self, presence: Presence, live_here: Callable[[str], bool]):
        self._batches: BackgroundBatches[tuple[str, Released]] = BackgroundBatches(
            partial(_release_batch, presence, live_here), MAX_BATCH, "presence-release"
        )

    def release(self, charger_name: str, then: Released) -> None:
        """Queue the release; `then(answer)` runs once it is known. The caller goes on."""
        self._batches.add((charger_name, then))


def _release_batch(
    presence: Presence, live_here: Callable[[str], bool], batch: list[tuple[str, Released]]
) -> None:
    answers = _release(presence, [name for name, _ in batch if not live_here(name)])
    for name, then in batch:
        try:
            then(answers.get(name, True) if answers is not None else None)
        except Exception:  # noqa: BLE001 - one socket's follow-up must not stop the rest
            log.exception("socket close not completed", extra={"charger_id": name})


def _release(presence: Presence, names: list[str]) -> dict[str, bool] | None:
    if not names:
        return {}
    try:
        return dict(zip(names, presence.release_many(names), strict=True))
    except Exception:  # noqa: BLE001 - presence is best effort
        log.exception("presence release failed", extra={"chargers": len(names)})
        return None
