"""Diagnoses on crafted statistics, their merging over steps, and histogram re-binning against a brute-force oracle."""

import numpy as np
import pytest

from tb_suite.layers import analysis
from tb_suite.layers import metadata as md

NAMES = ["a", "b", "c", "d"]


def _stats(**rows):
    stats = {name: np.full(4, np.nan, np.float32) for name in md.STATS}
    stats["act_nonfinite"][:] = 0
    stats["grad_nonfinite"][:] = 0
    for name, values in rows.items():
        stats[name] = np.asarray(values, np.float32)
    return stats


def test_each_kind_of_flag():
    t = analysis.Thresholds()
    stats = _stats(
        grad_norm=[1.0, 5e-4, 2e3, np.nan],
        act_dead_frac=[0.0, 0.9, 0.2, 0.6],
        update_ratio=[1e-3, 1e-5, 0.5, np.nan],
        act_nonfinite=[0, 0, 0, 3],
    )
    flags = analysis.diagnose(stats, NAMES, 7, t)
    got = {(f["kind"], f["name"]) for f in flags}
    # b: 5e-4 < 1e-3 * 2e3; c: norm above 1e3; dead b and d; ratios of b (low) and c (high); NaN in d
    assert got == {
        ("vanishing", "a"),
        ("vanishing", "b"),
        ("exploding", "c"),
        ("dead", "b"),
        ("dead", "d"),
        ("update_ratio", "b"),
        ("update_ratio", "c"),
        ("nonfinite", "d"),
    }
    assert [f["severity"] for f in flags] == sorted((f["severity"] for f in flags), reverse=True)
    assert all(f["step"] == 7 for f in flags)


def test_growth_and_floor():
    t = analysis.Thresholds(vanishing_floor=1e-6)
    stats = _stats(grad_norm=[1.0, 1e-7, 3.0, 0.5])
    flags = analysis.diagnose(stats, NAMES, 1, t, previous_grad_norm=np.array([1e-3, 1e-7, 2.0, 0.5]))
    assert {(f["kind"], f["name"]) for f in flags} == {("exploding", "a"), ("vanishing", "b")}
    with pytest.raises(ValueError, match="vanishing_floor"):
        analysis.Thresholds(vanishing_floor=0)


def test_first_nonfinite_prefers_forward_in_execution_order():
    stats = _stats(act_nonfinite=[0, 2, 1, 0], grad_nonfinite=[1, 1, 1, 1])
    assert analysis.first_nonfinite(stats, NAMES, [0, 2, 1, 3], 5) == {
        "step": 5,
        "layer": 2,
        "name": "c",
        "pass": "forward",
    }
    stats = _stats(grad_nonfinite=[1, 1, 0, 0])
    assert analysis.first_nonfinite(stats, NAMES, [0, 1, 2, 3], 5)["name"] == "b"  # backward runs from the end


def test_summarize_merges_steps():
    f = lambda code, layer, value: analysis.flag(code, layer, NAMES, 0, value, 1e-3)  # noqa: E731
    merged = analysis.summarize(
        [
            (20, [f("vanishing", 1, 1e-5)]),
            (10, [f("vanishing", 1, 1e-4), f("dead", 0, 0.7)]),
            (30, [f("exploding_norm", 2, 5e3)]),
        ]
    )
    assert [(e["kind"], e["name"], e["first_step"], e["last_step"], e["steps"]) for e in merged] == [
        ("exploding", "c", 30, 30, 1),
        ("vanishing", "b", 10, 20, 2),
        ("dead", "a", 10, 10, 1),
    ]
    assert merged[1]["worst"] == pytest.approx(1e-5)


def _brute_rebin(fractions, lo, hi, edges):
    source = (
        np.linspace(lo, hi, len(fractions) + 1) if lo != hi else np.linspace(lo - 0.5, hi + 0.5, len(fractions) + 1)
    )
    out = np.zeros(len(edges) - 1)
    for i, mass in enumerate(fractions):
        a, b = source[i], source[i + 1]
        for j in range(len(out)):
            overlap = max(0.0, min(b, edges[j + 1]) - max(a, edges[j]))
            out[j] += mass * overlap / (b - a)
    return out


@pytest.mark.parametrize("lo,hi", [(-1.0, 2.0), (0.3, 0.3), (-5.0, -4.0)])
def test_rebin_matches_overlap_oracle(lo, hi):
    rng = np.random.default_rng(3)
    fractions = rng.random(16)
    fractions /= fractions.sum()
    edges = np.linspace(-6, 3, 41)
    np.testing.assert_allclose(
        analysis.rebin(fractions, lo, hi, edges), _brute_rebin(fractions, lo, hi, edges), atol=1e-12
    )
    assert np.isnan(analysis.rebin(fractions, np.nan, np.nan, edges)).all()


def test_flags_round_trip_through_their_array():
    flags = analysis.diagnose(
        _stats(grad_norm=[1.0, 1e-9, 2e3, np.nan], act_nonfinite=[0, 0, 0, 2]), NAMES, 4, analysis.Thresholds()
    )
    rows = analysis.encode(flags)
    assert rows.shape == (len(flags), 4) and rows.dtype == np.float32
    decoded = analysis.decode(rows, NAMES, 4)
    assert [(d["code"], d["name"], d["message"]) for d in decoded] == [
        (f["code"], f["name"], f["message"]) for f in flags
    ]
    assert analysis.encode([]).shape == (0, 4)
    with pytest.raises(ValueError, match="no known code"):
        analysis.decode(np.array([[99, 0, 1, 1]], np.float32), NAMES, 0)
