import numpy as np
import pytest
import torch

from tb_suite.attention import head_entropy, rollout

from .helpers import softmax_attention


def _rollout_oracle(layers, fusion, discard):
    """Abnar & Zuidema rollout, one example, with explicit loops."""
    size = layers.shape[-1]
    result = np.eye(size)
    for attention in layers.astype(np.float64):  # [H, S, S]
        fused = {"mean": attention.mean(0), "max": attention.max(0), "min": attention.min(0)}[fusion]
        count = int(fused.size * discard)
        if count:
            order = np.argsort(fused, axis=None, kind="stable")[:count]
            fused = fused.copy()
            fused.flat[order] = 0
        step = fused + np.eye(size)
        for i in range(size):
            step[i] /= step[i].sum()
        result = step @ result
    return result


@pytest.mark.parametrize("fusion", ["mean", "max", "min"])
@pytest.mark.parametrize("discard", [0.0, 0.5])
def test_rollout_matches_a_numpy_implementation(fusion, discard):
    weights = softmax_attention((4, 2, 3, 6, 6), seed=1)  # [L, B, H, S, S]
    got = rollout(tuple(torch.from_numpy(weights).unbind(0)), head_fusion=fusion, discard_ratio=discard)
    assert got.shape == (2, 6, 6)
    for b in range(2):
        np.testing.assert_allclose(
            got[b].numpy(), _rollout_oracle(weights[:, b], fusion, discard), rtol=1e-5, atol=1e-6
        )
    unbatched = rollout(torch.from_numpy(weights[:, 0]), head_fusion=fusion, discard_ratio=discard)
    np.testing.assert_allclose(unbatched.numpy(), got[0].numpy(), rtol=1e-6)


def test_rollout_rows_are_distributions_and_errors_are_named():
    flow = rollout(torch.from_numpy(softmax_attention((3, 2, 5, 5))))
    np.testing.assert_allclose(flow.sum(-1).numpy(), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="head_fusion"):
        rollout(torch.ones(1, 1, 2, 2), head_fusion="median")
    with pytest.raises(ValueError, match="self-attention"):
        rollout(torch.ones(1, 1, 2, 3) / 3)
    with pytest.raises(ValueError, match="discard_ratio"):
        rollout(torch.ones(1, 1, 2, 2), discard_ratio=1.0)


def test_head_entropy_matches_a_numpy_implementation_with_padding():
    weights = softmax_attention((3, 2, 4, 7, 7), seed=2)
    mask = np.ones((2, 7))
    mask[0, 5:] = 0
    expected = np.zeros((3, 4))
    for layer in range(3):
        for head in range(4):
            values = []
            for b in range(2):
                for q in range(7):
                    if mask[b, q]:
                        p = weights[layer, b, head, q].astype(np.float64)
                        values.append(-(p * np.log(p)).sum())
            expected[layer, head] = np.mean(values)
    got = head_entropy(tuple(torch.from_numpy(weights)), torch.from_numpy(mask))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)
    uniform = torch.full((1, 1, 2, 4, 4), 0.25)
    np.testing.assert_allclose(head_entropy(uniform).numpy(), np.log(4), rtol=1e-6)
