"""Timing helpers shared by the benchmark scripts: interleaved rounds, medians with min-max, the load.

Each round runs every contender once, in order (A B F, A B F, ...), so a change in the machine's load
hits all of them alike; ratios are taken per round, then summarized by their median and min-max.

    >>> times = interleaved({"a": lambda: None, "b": lambda: None}, rounds=5)
    >>> sorted(times), len(times["a"])
    (['a', 'b'], 5)
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence

MIN_ROUNDS = 5


def clock(fn: Callable[[], object]) -> float:
    """Seconds `fn()` takes on the wall clock."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(
    contenders: dict[str, Callable[[], object]],
    rounds: int = MIN_ROUNDS,
    timer: Callable[[Callable[[], object]], float] = clock,
) -> dict[str, list[float]]:
    """Seconds per round of each contender, run in turn in every round (A B A B ...).

    `timer(fn)` measures one run; pass one that returns a time `fn` measured itself (e.g. the part of a
    run after its setup) to time only that part.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(timer(fn))
    return times


def ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Per-round ratios numerator[i] / denominator[i]."""
    return [n / d for n, d in zip(numerator, denominator, strict=True)]


def spread(values: Sequence[float], unit: str = "s", digits: int = 3) -> str:
    """'median M unit (min-max LO-HI, n=N)'."""
    return (
        f"median {statistics.median(values):.{digits}f}{unit} (min-max {min(values):.{digits}f}-"
        f"{max(values):.{digits}f}, n={len(values)})"
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages and the core count, for the record next to the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def print_comparison(
    times: dict[str, list[float]],
    baseline: str,
    ours: str,
    floor: str | None = None,
    goal: str = "",
    time_ratio: bool = False,
) -> None:
    """Every contender's time, the baseline / ours speed-up per round (ours / baseline with `time_ratio`)
    and ours / floor per round."""
    width = max(map(len, times))
    for name, values in times.items():
        print(f"  {name:<{width}}  {spread(values)}")
    a, b = (ours, baseline) if time_ratio else (baseline, ours)
    print(f"  ratio {a} / {b}: {spread(ratios(times[a], times[b]), 'x', 2)}" + (f"  {goal}" if goal else ""))
    if floor is not None:
        print(f"  {ours} / floor ({floor}): {spread(ratios(times[ours], times[floor]), 'x', 2)}")
    print(f"  {load_average()}", flush=True)
