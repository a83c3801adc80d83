"""Per-head gates inserted with hooks: masking heads, gradient head importance, masked evaluation.

transformers 5 removed `head_mask` and `prune_heads`, so heads are gated here from the outside:
- Hugging Face BERT-style attention (`.self` with `num_attention_heads`, `.output.dense`) and GPT-2-style
  attention (`num_heads`, `head_dim`, `.c_proj`): a forward pre-hook on the output projection scales
  each head's slice of its input (the concatenated head outputs).
- `torch.nn.MultiheadAttention` calls its output projection functionally (no hook ever sees the
  per-head outputs), so its `out_proj.weight` gets a parametrization that scales each head's columns.
Gate 1 leaves a head as it is, gate 0 removes its output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from tb_suite.core.validate import check_int, check_step, check_tag


@dataclass
class AttentionSite:
    """One attention layer: `projection` receives the concatenated outputs of its `num_heads` heads."""

    name: str
    projection: nn.Module
    num_heads: int
    head_dim: int
    functional: bool  # nn.MultiheadAttention: gate the projection's weight, not its input


def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _check_batches(batches: Any, loss_fn: Any) -> Iterable[Any]:
    """`batches`, an iterable of batches (a lone dict or tensor, one batch, is refused), and `loss_fn`."""
    if isinstance(batches, (Mapping, str, bytes, torch.Tensor)) or not isinstance(batches, Iterable):
        raise TypeError(
            f"batches must be an iterable of batches (e.g. a list or a DataLoader), got "
            f"{type(batches).__name__}; wrap a single batch in a list"
        )
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(model, batch) or None, got {type(loss_fn).__name__}")
    return batches


def attention_sites(model: nn.Module) -> list[AttentionSite]:
    """The attention layers of `model` that can be gated, in module order."""
    _check_model(model)
    sites = []
    for name, module in model.named_modules():
        if isinstance(module, nn.MultiheadAttention):
            sites.append(AttentionSite(name, module.out_proj, module.num_heads, module.head_dim, True))
            continue
        inner, output = getattr(module, "self", None), getattr(module, "output", None)
        if hasattr(inner, "num_attention_heads") and isinstance(getattr(output, "dense", None), nn.Module):
            heads = int(inner.num_attention_heads)
            sites.append(AttentionSite(name, output.dense, heads, int(inner.attention_head_size), False))
        elif (
            isinstance(getattr(module, "c_proj", None), nn.Module)
            and hasattr(module, "num_heads")
            and hasattr(module, "head_dim")
        ):
            sites.append(AttentionSite(name, module.c_proj, int(module.num_heads), int(module.head_dim), False))
    return sites


def _gate_shape(sites: list[AttentionSite]) -> tuple[int, int]:
    """(layers, heads per layer) of the gates; every layer needs the same number of heads."""
    if not sites:
        raise ValueError(
            "model has no attention layer tb-suite can gate (Hugging Face BERT- or GPT-2-style "
            "attention, or torch.nn.MultiheadAttention)"
        )
    head_counts = {site.num_heads for site in sites}
    if len(head_counts) != 1:
        raise ValueError(f"attention layers have different numbers of heads: {sorted(head_counts)}")
    return len(sites), head_counts.pop()


class _WeightGate(nn.Module):
    """Parametrization of an `nn.MultiheadAttention.out_proj.weight`: columns of head h times gate h."""

    def __init__(self, gates: HeadGates, layer: int, head_dim: int):
        super().__init__()
        self._owner = [gates]  # a list, so the gates are not registered as a submodule
        self.layer = layer
        self.head_dim = head_dim

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        gate = self._owner[0].gates[self.layer].to(weight.dtype).repeat_interleave(self.head_dim)
        return weight * gate[None, :]


class HeadGates:
    """Multiplies each attention head's output by `self.gates[layer, head]` (a `[L, H]` tensor, ones at
    first) while active: use it as a context manager, or call `remove()`. All layers need the same
    number of heads. `requires_grad=True` makes the gates a leaf whose gradient is the head importance.

    Example:
        >>> with HeadGates(model, requires_grad=True) as g:
        ...     model(**batch).loss.backward()
        >>> g.gates.grad.abs()   # [L, H]
    """

    def __init__(self, model: nn.Module, *, requires_grad: bool = False):
        self.sites = attention_sites(model)
        shape = _gate_shape(self.sites)
        parameter = next(model.parameters(), None)
        device = parameter.device if parameter is not None else None
        dtype = parameter.dtype if parameter is not None and parameter.is_floating_point() else torch.float32
        self.gates = torch.ones(*shape, device=device, dtype=dtype, requires_grad=requires_grad)
        self._handles: list[Any] = []
        self._parametrized: list[nn.Module] = []
        try:
            for layer, site in enumerate(self.sites):
                if site.functional:
                    parametrize.register_parametrization(
                        site.projection, "weight", _WeightGate(self, layer, site.head_dim)
                    )
                    self._parametrized.append(site.projection)
                else:
                    self._handles.append(site.projection.register_forward_pre_hook(self._pre_hook(layer, site)))
        except BaseException:
            self.remove()  # leave the user's model as it was
            raise

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.gates.shape)

    def _pre_hook(self, layer: int, site: AttentionSite):
        def hook(module, args):
            hidden = args[0]
            gate = self.gates[layer].to(hidden.dtype)
            heads = hidden.unflatten(-1, (site.num_heads, site.head_dim)) * gate[:, None]
            return (heads.flatten(-2), *args[1:])

        return hook

    def remove(self) -> None:
        """Take every hook and parametrization out of the model."""
        for handle in self._handles:
            handle.remove()
        for module in self._parametrized:
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=False)
        self._handles, self._parametrized = [], []

    def __enter__(self) -> HeadGates:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


def selected_heads(heads: Any, shape: tuple[int, int]) -> torch.Tensor:
    """A boolean `[L, H]` matrix (True = selected) from `{layer: [head, ...]}` or a 0/1 `[L, H]` matrix."""
    num_layers, num_heads = shape
    if isinstance(heads, Mapping):
        selected = torch.zeros(num_layers, num_heads, dtype=torch.bool)
        for layer, layer_heads in heads.items():
            layer = check_int(layer, "heads: a layer", minimum=0)
            if layer >= num_layers:
                raise ValueError(f"heads: layer {layer} is out of range (the model has {num_layers} attention layers)")
            if isinstance(layer_heads, (str, bytes, Mapping)) or not isinstance(layer_heads, Iterable):
                raise TypeError(f"heads[{layer}] must be a list of head indices, got {type(layer_heads).__name__}")
            for head in layer_heads:
                head = check_int(head, f"heads[{layer}]: a head", minimum=0)
                if head >= num_heads:
                    raise ValueError(
                        f"heads: head {head} of layer {layer} is out of range ({num_heads} heads per layer)"
                    )
                selected[layer, head] = True
        return selected
    try:
        selected = torch.as_tensor(heads)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"heads must be a dict {{layer: [head, ...]}} or a [{num_layers}, {num_heads}] 0/1 matrix, "
            f"got {type(heads).__name__}"
        ) from None
    if tuple(selected.shape) != (num_layers, num_heads):
        raise ValueError(
            f"heads must be a dict or a [{num_layers}, {num_heads}] matrix, got shape {tuple(selected.shape)}"
        )
    return selected.detach().cpu() != 0


class HeadMask(HeadGates):
    """Zeroes the output of chosen attention heads while active (a context manager, or `remove()`).

    `heads` is `{layer: [head, ...]}` or a `[L, H]` 0/1 matrix (1 = masked); layers count the model's
    attention layers in module order. `mask` is the boolean `[L, H]` matrix, for `log_head_stats`.

    Example:
        >>> with HeadMask(model, {0: [1, 3], 5: [0]}):
        ...     masked_loss = model(**batch).loss
    """

    def __init__(self, model: nn.Module, heads: Any):
        super().__init__(model)
        try:
            self.mask = selected_heads(heads, self.shape)
        except Exception:
            self.remove()
            raise
        with torch.no_grad():
            self.gates.copy_((~self.mask).to(self.gates.dtype))


def _loss(model: nn.Module, batch: Any, loss_fn: Callable | None) -> torch.Tensor:
    if loss_fn is not None:
        return loss_fn(model, batch)
    if isinstance(batch, Mapping):
        loss = getattr(model(**batch), "loss", None)
        if loss is not None:
            return loss
    raise TypeError(
        "pass loss_fn(model, batch) -> scalar loss: the default needs dict batches for which the model "
        "returns an output with `.loss` (a Hugging Face model given labels)"
    )


class _EvalMode:
    def __init__(self, model: nn.Module):
        self.model = model

    def __enter__(self):
        self.was_training = self.model.training
        self.model.eval()

    def __exit__(self, *exc_info):
        self.model.train(self.was_training)


def head_importance(
    model: nn.Module, batches: Iterable[Any], loss_fn: Callable[[nn.Module, Any], torch.Tensor] | None = None
) -> torch.Tensor:
    """Gradient head importance (Michel et al., 2019): the mean over `batches` of |dL/d gate| for a gate
    on each head's output, `[L, H]`. Runs in eval mode; parameter gradients are left untouched.
    `loss_fn(model, batch)` gives the loss (default: `model(**batch).loss`).

    Example:
        >>> importance = head_importance(model, [batch1, batch2])
        >>> tbs.log_head_stats(writer, "heads", step=step, importance=importance)
    """
    _check_model(model)
    batches = _check_batches(batches, loss_fn)
    total, count = None, 0
    with _EvalMode(model), HeadGates(model, requires_grad=True) as gates:
        for batch in batches:
            (grad,) = torch.autograd.grad(_loss(model, batch, loss_fn), gates.gates)
            total = grad.abs() if total is None else total + grad.abs()
            count += 1
    if count == 0:
        raise ValueError("batches is empty")
    return total / count


@torch.no_grad()
def mean_loss(model: nn.Module, batches: Iterable[Any], loss_fn: Callable | None = None) -> float:
    """The mean of the batches' losses, in eval mode."""
    _check_model(model)
    batches = _check_batches(batches, loss_fn)
    losses = []
    with _EvalMode(model):
        for batch in batches:
            losses.append(float(_loss(model, batch, loss_fn)))
    if not losses:
        raise ValueError("batches is empty")
    return sum(losses) / len(losses)


def evaluate_head_mask(
    writer: Any,
    tag: str,
    model: nn.Module,
    batches: Iterable[Any],
    heads: Any,
    *,
    step: int,
    loss_fn: Callable[[nn.Module, Any], torch.Tensor] | None = None,
) -> dict[str, float]:
    """Loss and perplexity (exp of the loss) on `batches` before and after masking `heads`; logs them
    as scalars `<tag>/loss_unmasked`, `<tag>/loss_masked`, `<tag>/perplexity_unmasked`,
    `<tag>/perplexity_masked` and the mask with `log_head_stats(writer, tag, mask=...)`.

    Example:
        >>> evaluate_head_mask(writer, "pruning", model, val_batches, {0: [2], 3: [0, 1]}, step=step)
        {'loss_unmasked': 2.31, 'loss_masked': 2.47, 'perplexity_unmasked': 10.1, 'perplexity_masked': 11.8}
    """
    from tb_suite.attention.summary import log_head_stats
    from tb_suite.core.writer import as_writer

    tag, step = check_tag(tag), check_step(step)
    selected_heads(heads, _gate_shape(attention_sites(model)))  # checked before the first evaluation
    batches = list(_check_batches(batches, loss_fn))
    before = mean_loss(model, batches, loss_fn)
    with HeadMask(model, heads) as mask:
        after = mean_loss(model, batches, loss_fn)
    result = {
        "loss_unmasked": before,
        "loss_masked": after,
        "perplexity_unmasked": math.exp(min(before, 700.0)),
        "perplexity_masked": math.exp(min(after, 700.0)),
    }
    writer = as_writer(writer)
    for name, value in result.items():
        writer.write_scalar(f"{tag}/{name}", value, step)
    log_head_stats(writer, tag, step=step, mask=mask.mask)
    return result
