"""What the benchmarks share about the machine they ran on."""

from __future__ import annotations

import time


def calibration() -> float:
    """Seconds of a fixed pure-Python loop: on a shared machine the same export takes up to
    twice as long at busy moments, and this tells a slow machine from a slow export."""
    started = time.perf_counter()
    total = 0
    for number in range(3_000_000):
        total += number
    return time.perf_counter() - started
