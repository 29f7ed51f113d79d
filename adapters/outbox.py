"""The outbox dispatch port: how the web process has committed background work handed on.

The web process does not know Celery. The composition root (`bootstrap.py`) gives it a
`DispatchBatch` (tasks/dispatch.py's `dispatch_pending` bound to the app's database and
settings), and `AfterCommitDispatcher` runs it on a background greenlet of its own, so an
answer to a charger never waits for a broker.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)

BATCH_SIZE = 100
IDLE_CHECK_SECONDS = 30.0  # how often an idle dispatcher checks its owner is still in use

# Hand up to BATCH_SIZE pending outbox rows on; returns how many left the outbox; never raises.
DispatchBatch = Callable[[], int]


class AfterCommitDispatcher:
    """Dispatches the outbox when asked, on one background thread (a greenlet under gevent)."""

    def __init__(self, dispatch_batch: DispatchBatch):
        self._dispatch_batch = dispatch_batch
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Have pending rows dispatched soon; the caller goes on at once. Requests arriving
        while a pass runs are served by the next pass, in batches. A failure leaves the rows
        pending for the beat sweep; it never reaches the caller."""
        self._wanted.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_dispatch_while_alive,
                    args=(weakref.ref(self), self._wanted),
                    name="outbox-dispatch",
                    daemon=True,
                )
                self._thread.start()

    def drain(self) -> None:
        """Dispatch pending rows now, batch by batch, until a batch comes back short."""
        try:
            while self._dispatch_batch() >= BATCH_SIZE:
                pass
        except Exception:  # noqa: BLE001 - dispatch logs; the loop must go on
            log.exception("outbox dispatch after commit failed; rows stay pending")


def _dispatch_while_alive(owner: weakref.ref, wanted: threading.Event) -> None:
    """Run a pass whenever one is wanted, until the dispatcher is gone (an app no longer in
    use, as in tests, takes its dispatcher thread with it)."""
    while True:
        requested = wanted.wait(IDLE_CHECK_SECONDS)
        dispatcher = owner()
        if dispatcher is None:
            return
        if requested:
            wanted.clear()
            dispatcher.drain()
        del dispatcher
