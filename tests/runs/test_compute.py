"""Summaries, grouping, common steps and config flattening against pandas; the filter parser's grammar,
errors and safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tb_suite.runs.compute import (
    FilterError,
    best_direction,
    common_steps,
    filter_rows,
    flatten_config,
    group_rows,
    parse_filter,
    summarize,
)


def _series(seed: int, n: int = 500, nan_every: int = 7):
    rng = np.random.default_rng(seed)
    steps = np.sort(rng.choice(10 * n, n, replace=False))
    values = rng.normal(size=n)
    values[::nan_every] = np.nan
    return steps, values


@pytest.mark.parametrize("direction", ["min", "max"])
@pytest.mark.parametrize("last_n", [1, 10, 10_000])
def test_summarize_matches_pandas(direction, last_n):
    for seed in range(5):
        steps, values = _series(seed)
        got = summarize(steps, values, direction=direction, last_n=last_n)
        s = pd.Series(values, index=steps)
        best_at = s.idxmin() if direction == "min" else s.idxmax()
        assert got["best_step"] == best_at
        assert got["best"] == (s.min() if direction == "min" else s.max())
        assert got["last_mean"] == pytest.approx(s.tail(last_n).mean(), rel=1e-12)
        assert got["count"] == len(s) and got["last_step"] == s.index[-1]
        assert (got["final"] is None) == bool(np.isnan(s.iloc[-1]))
        if got["final"] is not None:
            assert got["final"] == s.iloc[-1]


def test_summarize_edge_cases():
    empty = summarize(np.zeros(0, np.int64), np.zeros(0))
    assert empty["count"] == 0 and empty["final"] is None and empty["best"] is None
    all_nan = summarize(np.arange(3), np.full(3, np.nan))
    assert all_nan["best"] is None and all_nan["last_mean"] is None and all_nan["final"] is None
    ties = summarize(np.array([5, 6, 7]), np.array([1.0, 0.5, 0.5]))
    assert ties["best_step"] == 6  # the first of equal minima, as pandas' idxmin
    with pytest.raises(ValueError, match="direction"):
        summarize(np.arange(2), np.ones(2), direction="best")


def test_best_direction():
    assert [best_direction(t) for t in ("train/loss", "val_loss", "eval/perplexity", "error_rate", "ppl")] == [
        "min"
    ] * 5
    assert [
        best_direction(t)
        for t in (
            "val/accuracy",
            "acc_top1",
            "F1",
            "val/auc",
            "eval_accuracy",
            "throughput",
            "train_samples_per_second",
        )
    ] == ["max"] * 7


def test_group_rows_match_pandas_groupby():
    rng = np.random.default_rng(0)
    rows, records = [], []
    for lr in (0.1, 0.01, 0.001):
        for seed in range(4 if lr != 0.001 else 1):
            final, best = rng.normal(), rng.normal()
            rows.append(
                {
                    "run": f"{lr}-{seed}",
                    "config": {"lr": lr, "seed": seed, "opt": "sgd"},
                    "metrics": {"loss": {"final": final, "best": best, "last_mean": final}},
                }
            )
            records.append({"lr": lr, "opt": "sgd", "final": final, "best": best})
    frame = pd.DataFrame(records).groupby(["lr", "opt"])
    mean, std, count = frame.mean(), frame.std(), frame.size()
    groups = group_rows(rows, ["lr", "opt"])
    assert len(groups) == 3
    for group in groups:
        key = (group["values"]["lr"], group["values"]["opt"])
        for stat in ("final", "best"):
            got = group["metrics"]["loss"][stat]
            assert got["mean"] == pytest.approx(mean.loc[key, stat], rel=1e-12)
            assert got["n"] == count.loc[key]
            if count.loc[key] > 1:
                assert got["std"] == pytest.approx(std.loc[key, stat], rel=1e-12)
            else:
                assert got["std"] is None and np.isnan(std.loc[key, stat])


def test_common_steps_match_pandas_join():
    series = {}
    frames = []
    for i in range(3):
        steps = np.arange(0, 100, 2 + i)
        values = np.sin(steps + i)
        series[f"r{i}"] = (steps, values)
        frames.append(pd.Series(values, index=steps, name=f"r{i}"))
    expected = pd.concat(frames, axis=1, join="inner").sort_index()
    steps, values = common_steps(series)
    assert steps.tolist() == expected.index.tolist()
    for run in series:
        np.testing.assert_array_equal(values[run], expected[run].to_numpy())
    # A repeated step keeps the later value (TensorBoard's readers do the same).
    steps, values = common_steps({"a": (np.array([0, 1, 1, 2]), np.array([1.0, 2.0, 3.0, 4.0]))})
    assert steps.tolist() == [0, 1, 2] and values["a"].tolist() == [1.0, 3.0, 4.0]


def test_flatten_config_matches_json_normalize():
    config = {
        "model": {"layers": 4, "act": "gelu", "attn": {"heads": 8, "dropout": 0.1}},
        "lr": 3e-4,
        "name": "x",
        "flag": True,
        "none": None,
    }
    expected = pd.json_normalize(config, sep=".").iloc[0].to_dict()
    got = flatten_config(config)
    assert set(got) == set(expected)
    for key, value in got.items():
        assert value == expected[key] or (value is None and expected[key] is None)
    assert flatten_config({"betas": [0.9, 0.99], "x": float("nan"), "n": np.int64(3)}) == {
        "betas": "[0.9, 0.99]",
        "x": "nan",
        "n": 3,
    }
    with pytest.raises(TypeError, match="config must be a mapping"):
        flatten_config([1, 2])


ROWS = [
    {"run": "bert-1", "config": {"lr": 1e-4, "model": "bert", "seed": 1, "opt.beta": 0.9, "big": True}},
    {"run": "bert-2", "config": {"lr": 1e-2, "model": "bert", "seed": 2}},
    {"run": "gpt-3", "config": {"lr": 5e-4, "model": "gpt", "seed": 3}},
]


@pytest.mark.parametrize(
    "expression, runs",
    [
        ("lr < 1e-3", ["bert-1", "gpt-3"]),
        ('model == "bert"', ["bert-1", "bert-2"]),
        ("model == 'gpt' or seed in [1, 2]", ["bert-1", "bert-2", "gpt-3"]),
        ("seed in [1, 2] and lr >= 1e-3", ["bert-2"]),
        ("seed not in [1]", ["bert-2", "gpt-3"]),
        ("not (model == 'bert')", ["gpt-3"]),
        ("opt.beta > 0.5", ["bert-1"]),
        ("`opt.beta` == 0.9", ["bert-1"]),
        ("big", ["bert-1"]),
        ("model != 'bert'", ["gpt-3"]),
        ('run =~ "^bert"', ["bert-1", "bert-2"]),
        ("lr > 'a'", []),  # number vs string never matches
        ("missing == 1", []),
        ("  ", ["bert-1", "bert-2", "gpt-3"]),
        ("seed == 1.0", ["bert-1"]),
    ],
)
def test_filter_expressions(expression, runs):
    assert [row["run"] for row in filter_rows(ROWS, expression)] == runs


@pytest.mark.parametrize(
    "expression, message",
    [
        ("lr <", "column 5: expected a number"),
        ("lr < 1e-3 and", "column 14"),
        ("(lr < 1", "expected ')'"),
        ("seed in 1", "expected '['"),
        ("lr ! 3", "column 4: unexpected character '!'"),
        ("lr < 1 2", "column 8: expected 'and', 'or' or the end"),
        ("run =~ '('", "bad regular expression"),
        ("__import__('os').system('x')", "column 17: unexpected character '.'"),
    ],
)
def test_filter_errors_name_the_column(expression, message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_filter(expression)


def test_filter_never_evaluates_python(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse_filter("x == '__import__(\"os\")'")({"x": '__import__("os")'})
    assert not parse_filter("__class__ == 1")({})


def test_epoch_stats_match_pandas():
    from tb_suite.runs.compute import epoch_stats

    rng = np.random.default_rng(4)
    steps = np.arange(0, 300)
    values = rng.normal(size=300)
    values[::13] = np.nan
    epoch_steps = np.array([0, 100, 200, 250])
    epochs = np.array([0, 1, 2, 3])
    got = epoch_stats(steps, values, epoch_steps, epochs)
    frame = pd.DataFrame(
        {"v": values, "epoch": pd.cut(steps, [-1, 99, 199, 249, 1000], labels=[0, 1, 2, 3]).astype(int)}
    )
    grouped = frame.dropna().groupby("epoch")["v"]
    assert [g["epoch"] for g in got] == [0, 1, 2, 3]
    for g in got:
        e = g["epoch"]
        assert g["count"] == grouped.count()[e]
        for key, q in (("min", 0), ("q1", 0.25), ("median", 0.5), ("q3", 0.75), ("max", 1)):
            assert g[key] == pytest.approx(grouped.quantile(q)[e], rel=1e-12)
        assert g["mean"] == pytest.approx(grouped.mean()[e], rel=1e-12)
    assert epoch_stats(steps, values, np.zeros(0), np.zeros(0)) == []
