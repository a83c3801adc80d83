"""Entropy and loss against a float64 numpy oracle: never negative, accurate on confident and uniform rows."""

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.tokens.compute import token_stats
from tb_suite.tokens.metadata import PLUGIN_NAME


def _oracle(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entropy -sum p log p and loss -log p(target) of each row, in float64 from the float32 logits."""
    x = logits.astype(np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_p = shifted - log_z
    p = np.exp(log_p)
    entropy = -np.where(p > 0, p * log_p, 0.0).sum(axis=-1)
    loss = -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    return entropy, loss


def _bound(scale: float, reference: np.ndarray) -> np.ndarray:
    # 1e-6 relative to the logits' scale, and float32's own resolution of the value (entropy up to log V)
    return 1e-6 * max(1.0, scale) + 2.5e-7 * np.abs(reference)


@pytest.mark.parametrize("vocab, rows", [(300, 1024), (50257, 48)])
@pytest.mark.parametrize("scale", [0.0, 1e-3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0])
def test_entropy_and_loss_match_a_float64_oracle(scale, vocab, rows):
    torch.manual_seed(0)
    logits = torch.randn(rows, vocab) * scale
    targets = torch.randint(0, vocab, (rows,))
    targets[::3] = logits[::3].argmax(-1)  # confident and right: the loss is near zero too
    stats = token_stats(logits, targets, 5)
    entropy, loss = _oracle(logits.numpy(), targets.numpy())
    got = stats.entropy.double().numpy()
    assert (got >= 0).all(), f"negative entropy {got.min():.3g}"
    assert (np.abs(got - entropy) <= _bound(scale, entropy)).all(), np.abs(got - entropy).max()
    got_loss = stats.loss.double().numpy()
    assert (got_loss >= 0).all(), f"negative loss {got_loss.min():.3g}"
    assert (np.abs(got_loss - loss) <= _bound(scale, loss)).all(), np.abs(got_loss - loss).max()


def test_stored_entropy_with_padding(tmp_path):
    """The reported case, through `log_token_predictions` with padded sequences: every real position's
    stored entropy matches the oracle and is >= 0; padding stores NaN."""
    torch.manual_seed(0)
    logits = torch.randn(4, 256, 300) * 30
    logits[1, :, 7] += 1e4  # one almost certain token: entropy underflows to 0, never below
    ids = torch.randint(0, 300, (4, 256))
    mask = torch.ones(4, 256, dtype=torch.int64)
    mask[0, 200:] = 0
    mask[2, 10:] = 0
    logits[2, 10:] = float("nan")  # padding may hold anything
    logits[3, :50] = 0.0  # uniform rows: entropy log V
    with tbs.Writer(str(tmp_path)) as writer:
        tbs.log_token_predictions(writer, "lm", logits, ids, step=0, attention_mask=mask)
    (records,) = read_records(tmp_path, PLUGIN_NAME).values()
    _, arrays = records[0]
    stored = arrays["entropy"].astype(np.float64)
    entropy, _ = _oracle(logits.numpy(), ids.numpy())
    real = mask.numpy().astype(bool)
    assert np.isnan(stored[~real]).all()
    assert (stored[real] >= 0).all(), stored[real].min()
    np.testing.assert_array_less(np.abs(stored[real] - entropy[real]), _bound(30.0, entropy[real]))
    assert np.all(stored[1] <= 1e-6)
    np.testing.assert_allclose(stored[3, :50], np.log(300), rtol=3e-7)
