"""Process-wide switches turned off while heavy work runs, and the cycle collector among them.

Parsing, checking and compiling a policy, and reading and evaluating a batch, each build
hundreds of thousands of objects that live until the step ends. The collector would walk
them again and again as they accumulate (a quarter to a half of those steps' time for a
large policy or batch); pausing it changes nothing else: what the steps drop is freed by
reference counting, and any cycle is collected once the collector runs again.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from typing import Any, Callable


class HeldOff:
    """A process-wide switch held off while any work inside runs. Threads may overlap their
    blocks in any order: the switch is restored, as it was before the first began, when the
    last ends."""

    def __init__(self, turn_off: Callable[[], Any], restore: Callable[[Any], None]):
        self._turn_off = turn_off  # turns the switch off, returns what it was
        self._restore = restore
        self._lock = threading.Lock()
        self._depth = 0  # blocks in progress, in any thread
        self._before: Any = None

    @contextlib.contextmanager
    def __call__(self):
        with self._lock:
            if self._depth == 0:
                self._before = self._turn_off()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self._restore(self._before)


def _collector_off() -> bool:
    running = gc.isenabled()
    gc.disable()
    return running


# Collection off for the block; resumed only if it was running when the first block began.
paused = HeldOff(_collector_off, lambda running: gc.enable() if running else None)


def pausing(function):
    """`function` runs with collection paused."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with paused():
            return function(*args, **kwargs)
    return wrapper
