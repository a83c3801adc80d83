import numpy as np
import pytest
import torch
from torch import nn
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

import tb_suite as tbs
from tb_suite.attention import HeadMask, attention_sites, evaluate_head_mask, head_importance

from .helpers import stored_records


def _bert():
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=40,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=32,
        max_position_embeddings=32,
        attn_implementation="eager",
    )
    return BertForMaskedLM(config).double().eval()


def _gpt2():
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=40, n_embd=16, n_layer=2, n_head=4, n_positions=32, attn_implementation="eager")
    return GPT2LMHeadModel(config).double().eval()


def _batch(seed=0):
    ids = torch.randint(1, 40, (2, 9), generator=torch.Generator().manual_seed(seed))
    return {"input_ids": ids, "labels": ids}


def _zero_columns(projection: nn.Module, heads, head_dim, transposed: bool):
    """The independent oracle: an output projection that ignores the given heads' inputs."""
    with torch.no_grad():
        for head in heads:
            block = slice(head * head_dim, (head + 1) * head_dim)
            if transposed:  # GPT-2's Conv1D keeps weight as [in, out]
                projection.weight[block, :] = 0
            else:
                projection.weight[:, block] = 0


@pytest.mark.parametrize(
    "make, projection, transposed",
    [
        (_bert, lambda m, l: m.bert.encoder.layer[l].attention.output.dense, False),
        (_gpt2, lambda m, l: m.transformer.h[l].attn.c_proj, True),
    ],
)
def test_head_mask_equals_removing_exactly_those_heads(make, projection, transposed):
    model, reference = make(), make()
    batch = _batch()
    with torch.no_grad():
        original = model(**batch).logits
        with HeadMask(model, {0: [1], 1: [0, 3]}) as mask:
            masked = model(**batch).logits
        restored = model(**batch).logits
    assert mask.mask.tolist() == [[False, True, False, False], [True, False, False, True]]
    _zero_columns(projection(reference, 0), [1], 4, transposed)
    _zero_columns(projection(reference, 1), [0, 3], 4, transposed)
    with torch.no_grad():
        expected = reference(**batch).logits
    torch.testing.assert_close(masked, expected)
    assert not torch.allclose(masked, original)
    torch.testing.assert_close(restored, original)


def test_head_mask_changes_only_the_masked_heads_outputs():
    model = _bert()
    captured = []
    dense = model.bert.encoder.layer[1].attention.output.dense
    handle = dense.register_forward_hook(lambda module, args, out: captured.append(args[0].detach().clone()))
    with torch.no_grad():
        model(**_batch())
        with HeadMask(model, {1: [2]}):
            model(**_batch())
    handle.remove()
    before, after = (c.unflatten(-1, (4, 4)) for c in captured)
    assert torch.all(after[..., 2, :] == 0)
    torch.testing.assert_close(after[..., [0, 1, 3], :], before[..., [0, 1, 3], :])


def test_head_mask_on_multihead_attention_matches_a_manual_computation():
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True).double().eval()
    x = torch.randn(3, 5, 8, dtype=torch.double)
    with torch.no_grad():
        original = mha(x, x, x)[0]
        with HeadMask(mha, torch.tensor([[0, 1]])):
            masked = mha(x, x, x)[0]
        restored = mha(x, x, x)[0]
        q, k, v = (x @ w.T + b for w, b in zip(mha.in_proj_weight.chunk(3), mha.in_proj_bias.chunk(3)))
        heads = []
        for h in range(2):
            block = slice(4 * h, 4 * h + 4)
            weights = torch.softmax(q[..., block] @ k[..., block].transpose(1, 2) / 2.0, dim=-1)
            heads.append(weights @ v[..., block] if h == 0 else torch.zeros_like(v[..., block]))
        expected = torch.cat(heads, -1) @ mha.out_proj.weight.T + mha.out_proj.bias
    torch.testing.assert_close(masked, expected)
    torch.testing.assert_close(restored, original)
    assert not hasattr(mha.out_proj, "parametrizations")


def test_head_mask_errors_are_named():
    model = _bert()
    with pytest.raises(ValueError, match="layer 5 is out of range"):
        HeadMask(model, {5: [0]})
    with pytest.raises(ValueError, match=r"\[2, 4\] matrix"):
        HeadMask(model, torch.zeros(3, 4))
    with pytest.raises(ValueError, match="no attention layer"):
        HeadMask(nn.Linear(2, 2), {0: [0]})
    assert [site.num_heads for site in attention_sites(model)] == [4, 4]  # nothing left registered
    assert not model.bert.encoder.layer[0].attention.output.dense._forward_pre_hooks


def test_head_importance_matches_finite_differences():
    model = _bert()
    batches = [_batch(0), _batch(1)]
    importance = head_importance(model, batches)
    assert importance.shape == (2, 4)
    eps = 1e-5
    expected = torch.zeros(2, 4, dtype=torch.double)
    for layer in range(2):
        for head in range(4):
            for batch in batches:
                losses = []
                for sign in (1, -1):
                    with tbs.attention.HeadGates(model) as gates, torch.no_grad():
                        gates.gates[layer, head] += sign * eps
                        losses.append(model(**batch).loss)
                expected[layer, head] += abs((losses[0] - losses[1]) / (2 * eps)) / len(batches)
    torch.testing.assert_close(importance.double(), expected, rtol=1e-4, atol=1e-7)
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_head_mask_logs_losses_and_the_mask(tmp_path):
    model = _gpt2()
    with tbs.Writer(tmp_path) as writer:
        result = evaluate_head_mask(writer, "prune", model, [_batch()], {0: [0, 1]}, step=4)
    assert result["loss_masked"] != result["loss_unmasked"]
    np.testing.assert_allclose(result["perplexity_masked"], np.exp(result["loss_masked"]))
    meta, arrays = stored_records(tmp_path, "prune")[4]
    assert arrays["mask"].tolist() == [[1, 1, 0, 0], [0, 0, 0, 0]]
