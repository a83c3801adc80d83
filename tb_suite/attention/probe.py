"""Running fixed probe inputs through a model to log its attention and head statistics (the shared
core of the Lightning and Hugging Face callbacks)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from tb_suite.attention.compute import head_entropy
from tb_suite.attention.heads import head_importance
from tb_suite.attention.summary import log_attention, log_head_stats
from tb_suite.core.tensors import to_device


@contextlib.contextmanager
def _eager_attention(model: nn.Module):
    """Hugging Face models: `sdpa` returns no attention weights, so switch to `eager` meanwhile."""
    config = getattr(model, "config", None)
    current = getattr(config, "_attn_implementation", None)
    switch = current not in (None, "eager") and hasattr(model, "set_attn_implementation")
    if switch:
        model.set_attn_implementation("eager")
    try:
        yield
    finally:
        if switch:
            model.set_attn_implementation(current)


def _multihead_attentions(model: nn.Module, run: Callable[[], Any]) -> list[torch.Tensor]:
    """Per-head weights `[B, H, Q, K]` of every `nn.MultiheadAttention`, captured with hooks that ask
    each call for unaveraged weights. Runs with autograd on, which keeps PyTorch's fused encoder fast
    path (it never calls the attention module) out of the way; nothing is backpropagated."""
    captured: list[torch.Tensor] = []

    def ask(module, args, kwargs):
        return args, {**kwargs, "need_weights": True, "average_attn_weights": False}

    def keep(module, args, output):
        weights = output[1]
        captured.append(weights if weights.ndim == 4 else weights.unsqueeze(0))

    modules = [m for m in model.modules() if isinstance(m, nn.MultiheadAttention)]
    handles = [m.register_forward_pre_hook(ask, with_kwargs=True) for m in modules]
    handles += [m.register_forward_hook(keep) for m in modules]
    try:
        with torch.enable_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    return [weights.detach() for weights in captured]


class AttentionProbe:
    """Fixed inputs whose attention is logged every time `log(model, writer, step)` is called.

    `inputs`: a dict for a Hugging Face model (`input_ids`, `attention_mask`, optionally `labels`), or a
    tensor / tuple passed as `model(*inputs)` for a model built from `torch.nn.MultiheadAttention`.
    `tokens` (one list per example) or `tokenizer` (turns the token ids into tokens) names the positions;
    the ids are `input_ids`, or integer inputs `[B, T]` (the first of a tuple). Padding is cut away: the
    `attention_mask` of dict inputs, else the tokenizer's `pad_token_id`, else `tokens` lists shorter than T.
    Logs `log_attention` under `tag` and `log_head_stats` (entropy, plus gradient importance when
    `importance=True`, which needs a loss: `model(**inputs).loss` or `loss_fn(model, inputs)`) under
    `<tag>/heads`. The model runs in eval mode without gradients reaching its parameters.

    Example:
        >>> probe = AttentionProbe(tokenizer(["the cat sat"], return_tensors="pt"), tokenizer=tokenizer)
        >>> probe.log(model, writer, step=100)
    """

    def __init__(
        self,
        inputs: Any,
        *,
        tag: str = "attention",
        tokens: Sequence[Sequence[str]] | None = None,
        tokenizer: Any = None,
        importance: bool = False,
        loss_fn: Callable[[nn.Module, Any], torch.Tensor] | None = None,
    ):
        self.inputs = dict(inputs) if isinstance(inputs, Mapping) else inputs
        self.tag = tag
        self.tokens = None if tokens is None else [list(t) for t in tokens]
        self.tokenizer = tokenizer
        self.importance = importance
        self.loss_fn = loss_fn
        if self.tokens is None and self._ids() is None:
            raise ValueError(
                "AttentionProbe needs tokens=..., or token ids: inputs with input_ids or integer [B, T] inputs"
            )

    def _ids(self) -> torch.Tensor | None:
        """The probe's token ids `[B, T]`: dict inputs' `input_ids`, or integer tensor inputs (first of a tuple)."""
        ids = self.inputs
        if isinstance(ids, dict):
            ids = ids.get("input_ids")
        elif isinstance(ids, (tuple, list)) and ids:
            ids = ids[0]
        if isinstance(ids, torch.Tensor) and ids.ndim == 2 and not (ids.is_floating_point() or ids.is_complex()):
            return ids
        return None

    def _tokens(self, tokenizer: Any) -> list[list[str]]:
        ids = self._ids()
        if self.tokens is not None:
            width = ids.shape[1] if ids is not None else max(len(t) for t in self.tokens)
            return [t + [""] * (width - len(t)) for t in self.tokens]  # short lists: padding, cut by _mask
        rows = ids.tolist()
        tokenizer = self.tokenizer or tokenizer
        if tokenizer is None:
            return [[str(i) for i in row] for row in rows]
        return [list(tokenizer.convert_ids_to_tokens(row)) for row in rows]

    def _mask(self, tokenizer: Any) -> torch.Tensor | None:
        """1 for the tokens and 0 for padding, `[B, T]`, or None when nothing says what padding is."""
        if isinstance(self.inputs, dict) and self.inputs.get("attention_mask") is not None:
            return self.inputs["attention_mask"]
        ids = self._ids()
        if ids is None:
            return None
        if self.tokens is not None and any(len(t) < ids.shape[1] for t in self.tokens):
            return (torch.arange(ids.shape[1]) < torch.tensor([[len(t)] for t in self.tokens])).long()
        pad = getattr(self.tokenizer or tokenizer, "pad_token_id", None)
        if pad is not None and bool((ids == pad).any()):
            return (ids != pad).long()
        return None

    def _inputs_on(self, model: nn.Module) -> Any:
        parameter = next(model.parameters(), None)
        return to_device(self.inputs, parameter.device) if parameter is not None else self.inputs

    def attentions(self, model: nn.Module) -> list[torch.Tensor]:
        """The probe inputs' attention, one `[B, H, Q, K]` tensor per layer."""
        inputs = self._inputs_on(model)
        was_training = model.training
        model.eval()
        try:
            if isinstance(inputs, dict):
                with _eager_attention(model), torch.no_grad():
                    attentions = model(**inputs, output_attentions=True).attentions
                if not attentions:
                    raise RuntimeError(f"{type(model).__name__} returned no attentions for output_attentions=True")
                return list(attentions)
            arguments = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
            attentions = _multihead_attentions(model, lambda: model(*arguments))
            if not attentions:
                raise RuntimeError(f"{type(model).__name__} ran no torch.nn.MultiheadAttention for the probe inputs")
            return attentions
        finally:
            model.train(was_training)

    def log(self, model: nn.Module, writer: Any, step: int, *, tokenizer: Any = None) -> None:
        """Log the probe's attention and head statistics at `step` (call it on one process only)."""
        attentions = self.attentions(model)
        mask = self._mask(tokenizer)
        log_attention(writer, self.tag, attentions, tokens=self._tokens(tokenizer), mask=mask, step=step)
        stats = {"entropy": head_entropy(attentions, mask)}
        if self.importance:
            with _eager_attention(model):
                stats["importance"] = head_importance(model, [self._inputs_on(model)], self.loss_fn)
        log_head_stats(writer, f"{self.tag}/heads", step=step, **stats)
