"""The cycle collector paused for work that makes many objects and no garbage cycles.

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

_lock = threading.Lock()
_depth = 0  # pauses in progress, in any thread
_resume = False  # whether the collector ran before the first of them


@contextlib.contextmanager
def paused():
    """Collection off for the block. The collector is resumed when the last pause in progress
    ends (threads may overlap), and only if it was running when the first began."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()


def pausing(function):
    """`function` runs with collection paused."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with paused():
            return function(*args, **kwargs)
    return wrapper
