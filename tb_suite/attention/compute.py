"""Attention math in torch, on the tensors' own device: rollout and per-head entropy.

Every function takes attention the way models return it: a Hugging Face `outputs.attentions` tuple
(one `[B, H, Q, K]` tensor per layer) or one tensor `[L, B, H, Q, K]` / `[L, H, Q, K]`.
"""

from __future__ import annotations

from typing import Any

import torch

HEAD_FUSIONS = ("mean", "max", "min")


def stack_layers(attentions: Any) -> tuple[torch.Tensor, bool]:
    """`[L, B, H, Q, K]` from a tuple of layers or a tensor, and whether the input had a batch axis."""
    if isinstance(attentions, (tuple, list)):
        if not attentions:
            raise ValueError("attentions is empty")
        return torch.stack([torch.as_tensor(a) for a in attentions]), True
    attentions = torch.as_tensor(attentions)
    if attentions.ndim == 4:
        return attentions.unsqueeze(1), False
    if attentions.ndim != 5:
        raise ValueError(f"attentions must be [L, B, H, Q, K] or [L, H, Q, K], got shape {tuple(attentions.shape)}")
    return attentions, True


def rollout(attentions: Any, *, head_fusion: str = "mean", discard_ratio: float = 0.0) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema, 2020): how much each input token flows into each position
    through all layers. Per layer the heads are fused (`mean`, `max` or `min`), the smallest
    `discard_ratio` of each fused map's weights are set to zero, the identity is added for the residual
    connection and rows are renormalized; the layers' maps are then multiplied from the first layer up.
    Needs self-attention (Q == K). Returns `[B, Q, K]` (`[Q, K]` for input without a batch axis).

    Example:
        >>> out = model(input_ids, output_attentions=True)   # attn_implementation="eager"
        >>> flow = rollout(out.attentions, head_fusion="max", discard_ratio=0.9)[0]   # [S, S]
    """
    if head_fusion not in HEAD_FUSIONS:
        raise ValueError(f"head_fusion must be one of {HEAD_FUSIONS}, got {head_fusion!r}")
    if not 0.0 <= discard_ratio < 1.0:
        raise ValueError(f"discard_ratio must be in [0, 1), got {discard_ratio}")
    stacked, batched = stack_layers(attentions)
    if stacked.shape[-1] != stacked.shape[-2]:
        raise ValueError(f"rollout needs self-attention (Q == K), got Q={stacked.shape[-2]}, K={stacked.shape[-1]}")
    stacked = stacked.float()
    size = stacked.shape[-1]
    eye = torch.eye(size, dtype=stacked.dtype, device=stacked.device)
    result = None
    for layer in stacked:
        fused = getattr(layer, head_fusion)(dim=1)
        if head_fusion != "mean":
            fused = fused.values
        if discard_ratio > 0:
            flat = fused.flatten(1).clone()
            count = int(flat.shape[1] * discard_ratio)
            if count:
                flat.scatter_(1, flat.topk(count, dim=1, largest=False).indices, 0.0)
            fused = flat.view_as(fused)
        step = fused + eye
        step = step / step.sum(dim=-1, keepdim=True)
        result = step if result is None else step @ result
    return result if batched else result[0]


def head_entropy(attentions: Any, mask: Any = None) -> torch.Tensor:
    """Entropy (nats) of each head's attention distribution, averaged over valid queries of every
    example: `[L, H]`. `mask` `[B, Q]` (nonzero = real token) leaves padded queries out.

    Example:
        >>> out = model(**batch, output_attentions=True)
        >>> tbs.log_head_stats(writer, "heads", step=step, entropy=head_entropy(out.attentions, batch["attention_mask"]))
    """
    stacked, batched = stack_layers(attentions)
    stacked = stacked.float()
    entropy = -torch.special.xlogy(stacked, stacked).sum(dim=-1)  # [L, B, H, Q]
    if mask is None:
        return entropy.mean(dim=(1, 3))
    weights = torch.as_tensor(mask, device=stacked.device).reshape(stacked.shape[1], stacked.shape[3]) != 0
    weights = weights.to(entropy.dtype)[None, :, None, :]
    return (entropy * weights).sum(dim=(1, 3)) / (weights.sum() * 1.0).clamp_min(1.0)
