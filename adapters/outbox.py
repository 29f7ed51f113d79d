"""The outbox dispatch port: how the web process has committed background work handed on.

The web process does not know Celery. The composition root (`bootstrap.py`) gives it a
`DispatchBatch` (tasks/dispatch.py's `dispatch_pending` bound to the app's database and
settings), and `AfterCommitDispatcher` runs it on a background greenlet of its own, so an
answer to a charger never waits for a broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from adapters.background_pass import BackgroundPass

log = logging.getLogger(__name__)

BATCH_SIZE = 100

# Hand up to BATCH_SIZE pending outbox rows on; returns how many left the outbox; never raises.
DispatchBatch = Callable[[], int]


class AfterCommitDispatcher:
    """Dispatches the outbox when asked, on one background thread (a greenlet under gevent)."""

    def __init__(self, dispatch_batch: DispatchBatch):
        self._dispatch_batch = dispatch_batch
        # A plain function, not a bound method: the pass must not keep this object alive.
        self._passes = BackgroundPass(partial(_drain, dispatch_batch), "outbox-dispatch")

    def request(self) -> None:
        """Have pending rows dispatched soon; the caller goes on at once. Requests arriving
        while a pass runs are served by the next pass, in batches. A failure leaves the rows
        pending for the beat sweep; it never reaches the caller."""
        self._passes.request()

    def drain(self) -> None:
        """Dispatch pending rows now, batch by batch, until a batch comes back short."""
        _drain(self._dispatch_batch)


def _drain(dispatch_batch: DispatchBatch) -> None:
    try:
        while dispatch_batch() >= BATCH_SIZE:
            pass
    except Exception:  # noqa: BLE001 - dispatch logs; the loop must go on
        log.exception("outbox dispatch after commit failed; rows stay pending")
