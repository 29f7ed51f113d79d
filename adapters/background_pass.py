"""A pass of work run on a background thread (a greenlet under gevent) whenever asked for.

Requests that arrive while a pass runs are served by the next pass, so a burst of requests
costs a few passes, not one each; the caller never waits. The thread starts with the first
request and ends once its owner is no longer used (an app in a test takes it along).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 30.0  # how often an idle thread checks its owner is still in use

T = TypeVar("T")


class BackgroundPass:
    """Runs `run_pass()` on its own thread after `request()`; `run_pass` must not raise."""

    def __init__(self, run_pass: Callable[[], None], name: str):
        self.run_pass = run_pass
        self._name = name
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Have a pass run soon; the caller goes on at once."""
        self._wanted.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_run_while_alive,
                    args=(weakref.ref(self), self._wanted),
                    name=self._name,
                    daemon=True,
                )
                self._thread.start()


def _run_while_alive(owner: weakref.ref, wanted: threading.Event) -> None:
    """Run a pass whenever one is wanted, until the owner is gone."""
    while True:
        requested = wanted.wait(IDLE_CHECK_SECONDS)
        background = owner()
        if background is None:
            return
        if requested:
            wanted.clear()
            try:
                background.run_pass()
            except Exception:  # noqa: BLE001 - the thread must live on for the next request
                log.exception("background pass failed", extra={"thread": background._name})
        del background


class BackgroundBatches(Generic[T]):
    """Items callers queue, handed in order to `handle(batch)` (at most `most` a batch) by
    a background pass; one pass at a time, so `flush()` waits for a pass still handling
    earlier items. `handle` must not raise."""

    def __init__(self, handle: Callable[[list[T]], None], most: int, name: str):
        self._pending: deque[T] = deque()
        drain = partial(_drain, handle, most, self._pending, threading.Lock())
        self._passes = BackgroundPass(drain, name)

    def add(self, item: T) -> None:
        """Queue `item`; the caller goes on at once."""
        self._pending.append(item)
        self._passes.request()

    def flush(self) -> None:
        """Handle what is queued now, in the caller's thread."""
        self._passes.run_pass()


def _drain(
    handle: Callable[[list[T]], None], most: int, pending: deque[T], one_at_a_time: threading.Lock
) -> None:
    with one_at_a_time:
        while batch := [pending.popleft() for _ in range(min(most, len(pending)))]:
            handle(batch)
