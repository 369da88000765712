"""Timing a call many times: medians and 95th percentiles, after a warm-up."""

import statistics
import time
from dataclasses import dataclass

REQUESTS = 100


WARMUP = 5


# Pages that cost hundreds of milliseconds today are timed fewer times.
SLOW_REQUESTS = 15


@dataclass
class Timing:
    median: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> "Timing":
        ms = sorted(s * 1000 for s in seconds)
        return cls(statistics.median(ms), ms[max(0, round(0.95 * len(ms)) - 1)])


def time_all(calls: dict, n=REQUESTS) -> dict[str, Timing]:
    """Time each call n times, taking turns, so that the machine's drift (another
    process, a CPU frequency change) touches every page alike and ratios hold."""

    def prepared(call):
        getattr(call, "prepare", lambda: None)()  # untimed: what the call needs first
        return call

    for call in calls.values():
        for _ in range(WARMUP):
            prepared(call)()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(n):
        for name, call in calls.items():
            prepared(call)
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: Timing.of(values) for name, values in samples.items()}
