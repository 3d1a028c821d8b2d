"""Waiting for what the app does in a thread of its own (the catalog's words read again, figures recomputed behind
the requests): polled, with a deadline, never a fixed sleep."""
from __future__ import annotations

import time
from collections.abc import Callable


def until(done: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.02)
