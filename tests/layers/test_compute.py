"""Layer statistics against numpy float64 on known tensors, on the CPU path and the masked (accelerator) path."""

import numpy as np
import pytest
import torch

from tb_suite.layers import analysis, compute


def _oracle(values: np.ndarray, bins: int) -> dict:
    x = values.astype(np.float64).ravel()
    finite = x[np.isfinite(x)]
    lo, hi = finite.min(), finite.max()
    counts, _ = np.histogram(finite, bins=bins, range=(lo, hi))
    return {
        "count": finite.size,
        "mean": finite.mean(),
        "std": finite.std(),
        "min": lo,
        "max": hi,
        "norm": np.sqrt((finite**2).sum()),
        "mean_abs": np.abs(finite).mean(),
        "max_abs": np.abs(finite).max(),
        "nonfinite": x.size - finite.size,
        "hist": counts / finite.size,
    }


def _check(row: np.ndarray, expected: dict, bins: int) -> None:
    c = compute
    assert row[c.COUNT] == expected["count"] and row[c.NONFINITE] == expected["nonfinite"]
    for name, column in [
        ("mean", c.MEAN),
        ("std", c.STD),
        ("min", c.MIN),
        ("max", c.MAX),
        ("norm", c.NORM),
        ("mean_abs", c.MEAN_ABS),
        ("max_abs", c.MAX_ABS),
    ]:
        np.testing.assert_allclose(row[column], expected[name], rtol=2e-5, atol=1e-6, err_msg=name)
    hist = row[c.TENSOR_COLUMNS : c.TENSOR_COLUMNS + bins]
    # float32 binning may move a value sitting on an edge to the neighbouring bin
    assert np.abs(hist - expected["hist"]).sum() * expected["count"] <= 2
    np.testing.assert_allclose(hist.sum(), 1.0, rtol=1e-5)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("bins", [7, 64])
def test_tensor_row_matches_numpy(masked, bins):
    rng = np.random.default_rng(0)
    values = (rng.standard_normal((32, 17, 5)) * 3 + 1).astype(np.float32)
    row = compute.tensor_row(torch.from_numpy(values), bins, masked=masked).numpy()
    _check(row, _oracle(values, bins), bins)


@pytest.mark.parametrize("masked", [False, True])
def test_nonfinite_values_are_counted_and_left_out(masked):
    rng = np.random.default_rng(1)
    values = rng.standard_normal(1000).astype(np.float32)
    values[[3, 50, 999]] = [np.nan, np.inf, -np.inf]
    row = compute.tensor_row(torch.from_numpy(values), 16, masked=masked).numpy()
    _check(row, _oracle(values, 16), 16)
    assert row[compute.NONFINITE] == 3


@pytest.mark.parametrize("masked", [False, True])
def test_constant_and_all_nan_tensors(masked):
    row = compute.tensor_row(torch.full((10,), 2.5), 8, masked=masked).numpy()
    counts, edges = np.histogram(np.full(10, 2.5), bins=8, range=(2.5, 2.5))
    np.testing.assert_allclose(row[compute.TENSOR_COLUMNS :], counts / 10)
    np.testing.assert_allclose(analysis.histogram_edges(2.5, 2.5, 8), edges)
    assert row[compute.STD] == 0 and row[compute.MIN] == row[compute.MAX] == 2.5
    empty = compute.tensor_row(torch.full((4,), float("nan")), 8, masked=masked).numpy()
    assert empty[compute.COUNT] == 0 and empty[compute.NONFINITE] == 4 and np.isnan(empty[compute.MEAN])


def test_bfloat16_input_is_reduced_in_float32():
    values = torch.linspace(-3, 3, 301, dtype=torch.bfloat16)
    row = compute.tensor_row(values, 10).numpy()
    _check(row, _oracle(values.float().numpy(), 10), 10)


@pytest.mark.parametrize("masked", [False, True])
def test_activation_extras_match_numpy(masked):
    rng = np.random.default_rng(2)
    images = np.maximum(rng.standard_normal((6, 5, 4, 4)), 0).astype(np.float32)
    images[:, [1, 3]] = 0  # two of five channels dead over the whole batch
    images[2, 0] = 0  # channel 0 is zero for one example only: alive
    zero, dead, saturated = compute.activation_extras(torch.from_numpy(images), "ReLU", masked=masked).numpy()
    np.testing.assert_allclose(zero, (images == 0).mean(), rtol=1e-6)
    np.testing.assert_allclose(dead, 2 / 5, rtol=1e-6)
    assert np.isnan(saturated)

    features = rng.standard_normal((3, 7, 10)).astype(np.float32)  # [B, T, F]: units on the last axis
    features[..., 4] = 0
    _, dead, _ = compute.activation_extras(torch.from_numpy(features), "Linear", masked=masked).numpy()
    np.testing.assert_allclose(dead, 1 / 10, rtol=1e-6)

    logits = rng.standard_normal((50, 20)).astype(np.float32) * 4
    sig = 1 / (1 + np.exp(-logits.astype(np.float64)))
    tanh = np.tanh(logits.astype(np.float64))
    _, _, s = compute.activation_extras(torch.sigmoid(torch.from_numpy(logits)), "Sigmoid", masked=masked).numpy()
    np.testing.assert_allclose(s, ((sig < 0.01) | (sig > 0.99)).mean(), atol=1 / 1000)
    _, _, t = compute.activation_extras(torch.tanh(torch.from_numpy(logits)), "Tanh", masked=masked).numpy()
    np.testing.assert_allclose(t, (np.abs(tanh) > 0.99).mean(), atol=1 / 1000)


@pytest.mark.parametrize("masked", [False, True])
def test_large_tensors_histogram_a_strided_sample(masked):
    rng = np.random.default_rng(4)
    values = rng.standard_normal(200_003).astype(np.float32)
    row = compute.tensor_row(torch.from_numpy(values), 32, masked=masked).numpy()
    exact = _oracle(values, 32)
    stride = -(-values.size // compute.HISTOGRAM_SAMPLE)
    sample = values[::stride].astype(np.float64)
    counts, _ = np.histogram(sample, bins=32, range=(sample.min(), sample.max()))
    for name, column in [("mean", compute.MEAN), ("std", compute.STD), ("min", compute.MIN), ("max", compute.MAX)]:
        np.testing.assert_allclose(row[column], exact[name], rtol=2e-5, atol=1e-6)  # the statistics stay exact
    hist = row[compute.TENSOR_COLUMNS :]
    assert np.abs(hist - counts / sample.size).sum() * sample.size <= 2


def test_one_pass_variance_falls_back_when_the_mean_dominates():
    values = (1.0 + np.random.default_rng(5).standard_normal(5000) * 1e-3).astype(np.float32)  # LayerNorm-like weights
    row = compute.tensor_row(torch.from_numpy(values), 8, masked=False).numpy()
    np.testing.assert_allclose(row[compute.STD], values.astype(np.float64).std(), rtol=1e-4)


@pytest.mark.parametrize("masked", [False, True])
def test_activation_extras_count_nan_as_nonzero(masked):
    y = torch.tensor([[0.0, float("nan")], [0.0, 0.0]])
    zero, dead, _ = compute.activation_extras(y, "ReLU", masked=masked).numpy()
    np.testing.assert_allclose([zero, dead], [0.75, 0.5])


def test_group_rows_match_tensor_row():
    rng = np.random.default_rng(6)
    groups = [
        [torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) for shape in shapes]
        for shapes in [[(3, 4), (4,)], [(7,)], [(2, 2)]]
    ]
    groups.append([torch.full((5,), 0.25)])  # constant: the +-0.5 edges
    groups.append([torch.from_numpy((1 + 1e-3 * rng.standard_normal(300)).astype(np.float32))])  # two-pass variance
    groups.append([torch.from_numpy(rng.standard_normal(compute.HISTOGRAM_SAMPLE + 5).astype(np.float32))])  # alone
    rows = compute.group_rows(groups, 16)
    for group, row in zip(groups, rows):
        expected = compute.tensor_row(compute.flat_cat(group), 16).numpy()
        got = row.numpy()
        np.testing.assert_allclose(
            got[: compute.TENSOR_COLUMNS], expected[: compute.TENSOR_COLUMNS], rtol=2e-5, atol=1e-7
        )
        count = expected[compute.COUNT]
        assert np.abs(got[compute.TENSOR_COLUMNS :] - expected[compute.TENSOR_COLUMNS :]).sum() * count <= 2


def test_group_rows_with_nonfinite_values_fall_back():
    groups = [[torch.tensor([1.0, float("nan"), 3.0])], [torch.tensor([2.0, 4.0])]]
    rows = compute.group_rows(groups, 4)
    assert rows[0][compute.NONFINITE] == 1 and rows[0][compute.COUNT] == 2
    np.testing.assert_allclose(rows[1][compute.MEAN], 3.0)


def test_activation_rows_match_one_by_one():
    rng = np.random.default_rng(7)
    relu = [torch.relu(torch.from_numpy(rng.standard_normal((4, 3, 2, 2)).astype(np.float32))) for _ in range(3)]
    relu[1][:, 2] = 0  # a dead channel
    items = [(y, "ReLU") for y in relu]
    items += [
        (torch.sigmoid(torch.from_numpy(rng.standard_normal((5, 6)).astype(np.float32) * 5)), "Sigmoid")
        for _ in range(2)
    ]
    items += [(torch.from_numpy(rng.standard_normal((7,)).astype(np.float32)), "Linear")]  # [N]: one unit
    items += [(torch.tensor([[0.0, float("nan")], [0.0, 0.0]]), "ReLU")]
    for (y, module_type), row in zip(items, compute.activation_rows(items, 8)):
        expected = torch.cat([compute.tensor_row(y, 8), compute.activation_extras(y, module_type)]).numpy()
        np.testing.assert_allclose(row.numpy(), expected, rtol=2e-5, atol=1e-6, equal_nan=True)


def test_group_rows_of_one_size_match_tensor_row():
    rng = np.random.default_rng(8)
    groups = [
        [
            torch.from_numpy(rng.standard_normal((4, 5)).astype(np.float32)),
            torch.from_numpy(rng.standard_normal(4).astype(np.float32)),
        ]
        for _ in range(compute.SAME_SIZE_BATCH + 2)
    ]
    groups[1] = [torch.full((24,), -1.5)]  # constant: the +-0.5 edges
    groups[2] = [torch.from_numpy((1 + 1e-3 * rng.standard_normal(24)).astype(np.float32))]  # two-pass variance
    groups[3] = [torch.relu(groups[3][0]), groups[3][1]]  # many exact zeros
    groups.append([torch.tensor([1.0, 2.0])])  # another size, alone
    for group, row in zip(groups, compute.group_rows(groups, 8)):
        values = compute.flat_cat(group).double().numpy()
        expected = compute.tensor_row(compute.flat_cat(group), 8).numpy()
        np.testing.assert_allclose(
            row[: compute.TENSOR_COLUMNS].numpy(), expected[: compute.TENSOR_COLUMNS], rtol=2e-5, atol=1e-7
        )
        np.testing.assert_allclose(row[compute.STD], values.std(), rtol=1e-4)
        np.testing.assert_array_equal(
            row[compute.TENSOR_COLUMNS :].numpy() * values.size,
            np.round(expected[compute.TENSOR_COLUMNS :] * values.size),
        )


def test_group_rows_of_one_size_with_a_nan_fall_back_alone():
    groups = [[torch.arange(3.0) + i] for i in range(compute.SAME_SIZE_BATCH)]
    groups[0] = [torch.tensor([1.0, float("nan"), 3.0])]
    rows = compute.group_rows(groups, 4)
    assert rows[0][compute.NONFINITE] == 1 and rows[0][compute.COUNT] == 2
    np.testing.assert_allclose([float(r[compute.MEAN]) for r in rows[1:]], [2.0, 3.0, 4.0])
