"""Empty head statistics and malformed arguments of the attention API: named errors, nothing written or run."""

import numpy as np
import pytest
import torch
from torch import nn

import tb_suite as tbs
from tb_suite.attention import HeadMask, evaluate_head_mask, head_importance

from .helpers import event_files, softmax_attention


@pytest.mark.parametrize("name", ["entropy", "importance", "mask"])
@pytest.mark.parametrize("shape", [(0, 3), (0, 0), (3, 0)])
def test_empty_head_statistics_are_refused(tmp_path, name, shape):
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(ValueError, match=rf"{name} is empty \(shape \({shape[0]}, {shape[1]}\)\)"):
            tbs.log_head_stats(writer, "t", step=0, **{name: np.zeros(shape)})
        with pytest.raises(ValueError, match=rf"{name} is empty"):
            tbs.log_head_stats(writer, "t", step=0, **{name: torch.zeros(shape)})
    assert not event_files(tmp_path)


def test_unhashable_precision_is_named(tmp_path):
    weights = softmax_attention((1, 1, 2, 3, 3))
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(ValueError, match="precision must be one of"):
            tbs.log_attention(writer, "a", weights, tokens=["x", "y", "z"], step=0, precision=["u8"])
    assert not event_files(tmp_path)


class TwoHeads(nn.Module):
    """One nn.MultiheadAttention layer with 2 heads; the loss is the mean output."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x)[0]


def _loss(calls):
    def loss_fn(model, batch):
        calls.append(1)
        return model(batch).pow(2).mean()

    return loss_fn


@pytest.mark.parametrize(
    "heads, error, match",
    [
        ({"a": [0]}, TypeError, r"heads: a layer must be an int"),
        ({0: 1}, TypeError, r"heads\[0\] must be a list of head indices"),
        ({0: [1.5]}, TypeError, r"heads\[0\]: a head must be an int"),
        ({0: [-1]}, ValueError, r"heads\[0\]: a head must be >= 0"),
        (object(), TypeError, r"heads must be a dict"),
    ],
)
def test_head_mask_arguments_are_named_before_any_evaluation(tmp_path, heads, error, match):
    model, calls = TwoHeads(), []
    with pytest.raises(error, match=match):
        HeadMask(model, heads)
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(error, match=match):
            evaluate_head_mask(writer, "m", model, [torch.randn(2, 3, 4)], heads, step=0, loss_fn=_loss(calls))
    assert calls == []  # not even the unmasked loss was computed
    assert not event_files(tmp_path)
    assert not model.attn.out_proj._forward_pre_hooks and not hasattr(model.attn.out_proj, "parametrizations")


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: head_importance(object(), []), TypeError, r"model must be a torch.nn.Module"),
        (lambda m: head_importance(m, {"input_ids": torch.zeros(2, 3)}), TypeError, r"batches must be an iterable"),
        (lambda m: head_importance(m, 5), TypeError, r"batches must be an iterable"),
        (lambda m: head_importance(m, [torch.randn(2, 3, 4)], loss_fn="mse"), TypeError, r"loss_fn must be callable"),
        (lambda m: tbs.attention.HeadGates(object()), TypeError, r"model must be a torch.nn.Module"),
    ],
)
def test_gradient_and_gate_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call(TwoHeads())
