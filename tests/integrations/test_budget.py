"""The shared time budget's rules, on a clock the test moves (issue 13 item 5)."""

from __future__ import annotations

import pytest

from tb_suite.core.budget import Budget


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _run(budget, clock, key, cost):
    with budget.spend(key):
        clock.now += cost


def test_each_callback_gets_an_equal_share_and_the_schedule_adapts_to_the_cost():
    clock = Clock()
    budget = Budget(0.05, floor_s=0.0, clock=clock)
    budget.register("cheap")
    budget.register("dear")
    budget.start()
    runs = {"cheap": 0, "dear": 0}
    for _ in range(1000):  # 1000 training steps of 10 ms; both callbacks are due at every step
        clock.now += 0.010
        for key, cost in (("cheap", 0.0001), ("dear", 0.050)):
            if budget.allows(key):
                _run(budget, clock, key, cost)
                runs[key] += 1
    elapsed = budget.elapsed()
    # each may have spent its share (2.5% of the wall time) plus at most one run
    assert budget.spent("cheap") <= 0.025 * elapsed + 0.0001
    assert budget.spent("dear") <= 0.025 * elapsed + 0.050
    assert budget.spent() / elapsed <= 0.05 + 0.050 / elapsed
    assert runs["cheap"] == 1000  # 0.01 ms per 10 ms step: always fits
    assert 4 <= runs["dear"] <= 6  # 50 ms each: about one in every 200 steps (10.25 s * 2.5% / 50 ms)
    report = budget.report()
    assert f"{100 * budget.spent() / elapsed:.1f}% of {elapsed:.1f} s of training (budget 5%)" in report
    assert f"dear: {runs['dear']} runs" in report and f"{1000 - runs['dear']} skipped over budget" in report


def test_an_estimate_keeps_an_unmeasured_expensive_run_out_and_the_floor_lets_short_runs_log():
    clock = Clock()
    budget = Budget(0.05, floor_s=0.5, clock=clock)
    budget.start()
    clock.now += 0.1
    assert budget.allows("landscape", estimate=0.4)  # the floor: 0.5 s for the only callback
    _run(budget, clock, "landscape", 0.4)
    assert not budget.allows("landscape")  # 0.4 + 0.4 > max(0.05 * 0.5, 0.5)
    assert not budget.allows("other", estimate=0.3)  # two callbacks now share the floor: 0.25 s each
    assert budget.allows("other", estimate=0.2)
    clock.now += 100
    assert budget.allows("landscape")  # 5% of 100.5 s / 2 = 2.5 s


def test_outside_training_and_without_a_limit_everything_runs_and_parts_add_up():
    clock = Clock()
    budget = Budget(None, clock=clock)
    budget.register("a")
    assert Budget(0.05, clock=clock).allows("a", estimate=1e9)  # not started: evaluate() alone
    budget.start()
    assert budget.allows("a", estimate=1e9)
    with budget.spend("a", run=False):  # collecting batches ...
        clock.now += 0.2
    with budget.spend("a"):  # ... then logging: one run of 0.5 s
        clock.now += 0.3
    assert budget.measured("a") and budget._accounts["a"].last == pytest.approx(0.5)
    assert budget.finish() is not None and budget.finish() is None  # reported once
    assert "(no limit)" in budget.report()


@pytest.mark.parametrize("fraction", [0, 1.5, -0.1, True, "5%"])
def test_bad_fractions_are_refused(fraction):
    with pytest.raises(ValueError, match="fraction"):
        Budget(fraction)
