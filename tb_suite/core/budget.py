"""The time budget the training callbacks share: by default all of a trainer's tb-suite callbacks together
take at most 5% of its training wall time, measured by the callbacks themselves.

Each callback asks `allows(key)` before a scheduled piece of work and runs the work inside `spend(key)`.
Every callback gets an equal share of the budget (so a cheap callback logging often cannot starve an
expensive one), and a piece of work runs only when its expected cost (the last measured one, or an
estimate) still fits in the callback's share; otherwise it is skipped, and the callback logs at its next
due point that fits: the more a callback costs, the less often it logs. The first `floor_s` seconds are
always allowed (shared the same way), so a short run still gets its first records. `report()` is the
line logged when training ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator

DEFAULT_FRACTION = 0.05
DEFAULT_FLOOR_S = 0.5


@dataclasses.dataclass
class _Account:
    spent: float = 0.0
    last: float | None = None
    pending: float = 0.0  # parts of the run in progress (run=False)
    runs: int = 0
    skipped: int = 0


class Budget:
    """Shared time budget of a trainer's tb-suite callbacks (`fraction` of the training wall time so far,
    at least `floor_s` seconds; `fraction=None` measures without limiting).

    Example:
        >>> budget = Budget(0.05)
        >>> budget.register("attention")
        >>> budget.start()
        >>> if budget.allows("attention"):
        ...     with budget.spend("attention"):
        ...         pass  # the callback's work
    """

    def __init__(
        self,
        fraction: float | None = DEFAULT_FRACTION,
        *,
        floor_s: float = DEFAULT_FLOOR_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if fraction is not None and (
            isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1
        ):
            raise ValueError(f"budget fraction must be in (0, 1] or None (no limit), got {fraction!r}")
        if isinstance(floor_s, bool) or not isinstance(floor_s, (int, float)) or floor_s < 0:
            raise ValueError(f"floor_s must be a number >= 0, got {floor_s!r}")
        self.fraction = None if fraction is None else float(fraction)
        self.floor_s = float(floor_s)
        self._clock = clock
        self._accounts: dict[str, _Account] = {}
        self._start: float | None = None
        self._end: float | None = None
        self._reported = False

    def register(self, key: str) -> None:
        """Give `key` (one callback) its share; registering a key again does nothing."""
        self._accounts.setdefault(key, _Account())

    def start(self) -> None:
        """Training started: from now on work is limited (the first call counts; later ones do nothing)."""
        if self._start is None:
            self._start = self._clock()

    def stop(self) -> None:
        """Training ended: `report` uses the wall time up to here."""
        if self._start is not None and self._end is None:
            self._end = self._clock()

    @property
    def started(self) -> bool:
        return self._start is not None

    def elapsed(self) -> float:
        """Training wall time so far (callbacks included), 0 before `start`."""
        if self._start is None:
            return 0.0
        return (self._end if self._end is not None else self._clock()) - self._start

    def spent(self, key: str | None = None) -> float:
        """Seconds spent by `key`, or by every callback."""
        accounts = self._accounts.values() if key is None else [self._accounts[key]]
        return sum(account.spent for account in accounts)

    def share(self) -> float:
        """Seconds each callback may have spent by now."""
        total = max(self.fraction * self.elapsed(), self.floor_s) if self.fraction is not None else float("inf")
        return total / max(len(self._accounts), 1)

    def allows(self, key: str, estimate: float | None = None) -> bool:
        """Whether `key` may run now: its spent time plus the expected cost (`estimate`, else its last
        measured cost, else 0) fits in its share. Always True outside training or without a limit. A False
        counts as a skipped run."""
        self.register(key)
        account = self._accounts[key]
        if self.fraction is None or self._start is None or self._end is not None:
            return True
        cost = estimate if estimate is not None else (account.last or 0.0)
        if account.spent + cost <= self.share():
            return True
        account.skipped += 1
        return False

    @contextlib.contextmanager
    def spend(self, key: str, *, run: bool = True) -> Iterator[None]:
        """Count the time of the `with` body against `key` (`run=False`: part of a run, e.g. collecting
        batches, not counted as a run of its own)."""
        self.register(key)
        begin = self._clock()
        try:
            yield
        finally:
            account = self._accounts[key]
            took = self._clock() - begin
            account.spent += took
            if run:
                account.runs += 1
                account.last, account.pending = took + account.pending, 0.0
            else:
                account.pending += took

    def measured(self, key: str) -> bool:
        """Whether `key` has a measured cost (it has run at least once)."""
        return key in self._accounts and self._accounts[key].last is not None

    def finish(self) -> str | None:
        """Stop, and return the report the first time only (several callbacks end the same training)."""
        self.stop()
        if self._start is None or self._reported:
            return None
        self._reported = True
        return self.report()

    def report(self) -> str:
        """One line: the callbacks' time against the training wall time, and each callback's runs."""
        elapsed = self.elapsed()
        spent = self.spent()
        share = 100 * spent / elapsed if elapsed > 0 else 0.0
        limit = "no limit" if self.fraction is None else f"budget {100 * self.fraction:g}%"
        parts = [
            f"{key}: {a.runs} run{'s' * (a.runs != 1)} {a.spent:.2f} s"
            + (f", {a.skipped} skipped over budget" if a.skipped else "")
            for key, a in self._accounts.items()
        ]
        return (
            f"tb-suite callbacks took {spent:.2f} s = {share:.1f}% of {elapsed:.1f} s of training "
            f"({limit}): " + "; ".join(parts)
        )


def logger() -> logging.Logger:
    """The `tb_suite` logger; it prints INFO lines to stderr unless logging was configured (as Lightning's)."""
    log = logging.getLogger("tb_suite")
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log
