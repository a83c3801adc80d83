"""What the Lightning and Hugging Face callbacks share: one meaning for `every_n_steps` / `every_n_epochs`,
finding the Hugging Face model inside a wrapper module, and telling which families fit a model."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import torch
from torch import nn

from tb_suite.core.budget import Budget, logger
from tb_suite.core.validate import check_positive_int

# Attribute names under which LightningModules usually keep a wrapped Hugging Face model.
WRAPPED_NAMES = ("model", "transformer", "backbone", "encoder", "net", "hf_model", "lm", "bert", "gpt2")


class BudgetedCallback:
    """The time-budget side of both frameworks' callback bases: `budget=True` shares the trainer's
    `Budget`, `budget=Budget(...)` that one, `budget=False` never skips; a callback added by a preset turns
    itself off on data it cannot use instead of stopping the training."""

    preset = False
    off = False

    def __init__(self, budget: Budget | bool) -> None:
        if not isinstance(budget, (bool, Budget)):
            raise TypeError(
                f"budget must be True (the trainer's shared budget), False (no limit) or a Budget, got {budget!r}"
            )
        self._budget_option = budget
        self.budget = Budget(None)

    @property
    def budget_key(self) -> str:
        """This callback's name in the budget's report."""
        tag = getattr(self, "tag", None) or getattr(getattr(self, "schedule", None), "tag", None)
        return f"{type(self).__name__}({tag!r})" if tag else type(self).__name__

    def share_budget(self, trainer: Any) -> None:
        """Take the budget the option names (the one stored on `trainer` for `True`) and register in it."""
        if isinstance(self._budget_option, Budget):
            self.budget = self._budget_option
        elif self._budget_option:
            if not isinstance(getattr(trainer, "_tb_suite_budget", None), Budget):
                trainer._tb_suite_budget = Budget()
            self.budget = trainer._tb_suite_budget
        self.budget.register(self.budget_key)

    def spend(self, *, run: bool = True):
        """Context manager counting its body against this callback's budget."""
        return self.budget.spend(self.budget_key, run=run)

    def turn_off(self, error: Exception) -> None:
        """Turn a preset's callback off, logging why; re-raise `error` for a callback the user added."""
        if not self.preset:
            raise error
        logger().info(f"tb-suite: {self.budget_key} turned off: {error}")
        self.off = True


class Every:
    """When a callback runs, the same in both frameworks: `every_n_steps=N` at optimizer steps N, 2N, ...
    (the trainer's global step), `every_n_epochs=N` at the end of epochs N, 2N, ... (counted from 1).
    At most one of them may be given; `default` ("steps", N) or ("epochs", N) applies when neither is."""

    def __init__(self, every_n_steps: int | None, every_n_epochs: int | None, default: tuple[str, int]) -> None:
        if every_n_steps is not None and every_n_epochs is not None:
            raise ValueError("pass every_n_steps or every_n_epochs, not both")
        check_positive_int(every_n_steps, "every_n_steps", optional=True)
        check_positive_int(every_n_epochs, "every_n_epochs", optional=True)
        if every_n_steps is None and every_n_epochs is None:
            self.unit, self.n = default
        else:
            self.unit, self.n = ("steps", every_n_steps) if every_n_steps is not None else ("epochs", every_n_epochs)

    def at_step(self, step: int) -> bool:
        """Due after optimizer step `step` (only when counting steps)."""
        return self.unit == "steps" and step > 0 and step % self.n == 0

    def at_epoch_end(self, epochs_done: int) -> bool:
        """Due at the end of the `epochs_done`-th epoch (only when counting epochs)."""
        return self.unit == "epochs" and epochs_done > 0 and epochs_done % self.n == 0

    def __repr__(self) -> str:
        return f"every_n_{self.unit}={self.n}"


def is_hf_model(module: Any) -> bool:
    """Whether `module` is a Hugging Face `PreTrainedModel` (never imports its module, about 1 s: no object
    can be one before it was imported)."""
    modeling = sys.modules.get("transformers.modeling_utils")
    return modeling is not None and isinstance(module, modeling.PreTrainedModel)


def find_transformer(module: nn.Module) -> tuple[str, nn.Module] | None:
    """(`attribute path`, model) of the Hugging Face model inside `module`: `module` itself (path ""), one
    under a usual attribute name (`model`, `transformer`, `backbone`, ...), or the only outermost
    `PreTrainedModel` among its submodules; None when there is none or several."""
    if is_hf_model(module):
        return "", module
    for name in WRAPPED_NAMES:
        if is_hf_model(getattr(module, name, None)):
            return name, getattr(module, name)
    found = []
    for name, sub in module.named_modules():
        if is_hf_model(sub) and not any(name.startswith(outer + ".") for outer, _ in found):
            found.append((name, sub))
    return found[0] if len(found) == 1 else None


def resolve_model(module: nn.Module, model_attr: str | None, what: str) -> tuple[nn.Module, str]:
    """The model a probe runs (`getattr(module, model_attr)`, else the Hugging Face model found inside, else
    `module`) and a phrase saying which it is."""
    if model_attr:
        return _getattr_path(module, model_attr), f"{what}: probing .{model_attr} (model_attr)"
    found = find_transformer(module)
    if found is None:
        return module, f"{what}: probing the module itself ({type(module).__name__})"
    path, model = found
    where = "the module itself" if not path else f".{path}"
    return model, f"{what}: probing {where} ({type(model).__name__}, the Hugging Face model found)"


def _getattr_path(module: nn.Module, path: str) -> nn.Module:
    for part in path.split("."):
        module = getattr(module, part)
    return module


def accepts(function: Any, name: str, *, var_keyword: bool = True) -> bool:
    """Whether `function` (e.g. a module's forward) takes the keyword argument `name` (by that name, or
    through `**kwargs` unless `var_keyword=False`)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return var_keyword
    return any(p.name == name or (var_keyword and p.kind is inspect.Parameter.VAR_KEYWORD) for p in parameters)


def has_attention(model: nn.Module) -> bool:
    """Whether `model` can give its attention weights: a Hugging Face model with attention heads, or a
    model built from `torch.nn.MultiheadAttention`."""
    if is_hf_model(model):
        config = model.config
        return any(getattr(config, key, None) for key in ("num_attention_heads", "n_head", "num_heads"))
    return any(isinstance(m, nn.MultiheadAttention) for m in model.modules())


def task_of(model: nn.Module) -> str | None:
    """ "classification" or "causal_lm" for a Hugging Face model whose class says so, else None."""
    if not is_hf_model(model):
        return None
    name = type(model).__name__
    if name.endswith(("ForSequenceClassification", "ForImageClassification", "ForAudioClassification")):
        return "classification"
    if name.endswith(("ForCausalLM", "LMHeadModel")) and "DoubleHeads" not in name:
        return "causal_lm"
    return None


def first_rows(batch: Any, count: int) -> Any:
    """The first `count` rows of a batch (tensor, dict or tuple of tensors), detached on CPU."""
    if isinstance(batch, torch.Tensor):
        return batch[:count].detach().cpu()
    if isinstance(batch, dict) or hasattr(batch, "keys"):
        return {k: first_rows(v, count) for k, v in batch.items() if isinstance(v, torch.Tensor)}
    if isinstance(batch, (tuple, list)):
        return type(batch)(first_rows(v, count) for v in batch)
    return batch


def probe_inputs(batch: Any, count: int, keep_labels: bool = False) -> Any:
    """Probe inputs from a training batch: its first `count` rows, as the model takes them (a dict's
    `input_ids` / `attention_mask` (and `labels` with `keep_labels`), a tuple's inputs, or a tensor)."""
    if isinstance(batch, dict) or hasattr(batch, "keys"):
        keys = ("input_ids", "attention_mask") + (("labels",) if keep_labels else ())
        return {key: first_rows(batch[key], count) for key in keys if isinstance(batch.get(key), torch.Tensor)}
    if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], torch.Tensor):
        return (first_rows(batch[0], count),)
    return first_rows(batch, count)


def attention_probe(module: nn.Module, model_attr: str | None, inputs: Any, options: dict) -> tuple[nn.Module, Any]:
    """(model, `AttentionProbe`) for `module`: the model found by `resolve_model` (logged), and token ids
    given for a Hugging Face model turned into its `input_ids` (with an `attention_mask` from the pad token)."""
    from tb_suite.attention.probe import AttentionProbe
    from tb_suite.core.budget import logger

    model, found = resolve_model(module, model_attr, f"AttentionCallback({options.get('tag', 'attention')!r})")
    logger().info(f"tb-suite: {found}")
    if is_hf_model(model):
        if isinstance(inputs, (tuple, list)) and len(inputs) == 1:
            inputs = inputs[0]
        if isinstance(inputs, torch.Tensor):
            inputs = {"input_ids": inputs}
            pad = getattr(options.get("tokenizer"), "pad_token_id", None)
            if pad is not None:
                inputs["attention_mask"] = (inputs["input_ids"] != pad).long()
    return model, AttentionProbe(inputs, **options)


def landscape_cost(schedule: Any, model: nn.Module) -> float | None:
    """Seconds the schedule's next slices will take, estimated from one timed loss evaluation of `model`
    on the schedule's data times the number of evaluations (None when there is no data yet)."""
    import time

    from tb_suite.landscape.batches import batch_loss, load_batches

    data = schedule.data if schedule.data is not None else schedule._held
    if data is None:
        return None
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    batches = load_batches(data, schedule.max_batches, device)
    was_training = model.training
    model.eval()
    try:
        begin = time.perf_counter()
        with torch.no_grad():
            for batch, _ in batches:
                batch_loss(model, schedule.loss_fn, batch)
        one = time.perf_counter() - begin
    finally:
        model.train(was_training)
    evaluations = 0
    if "plane" in schedule.slices:
        evaluations += schedule.plane_kwargs["grid"] ** 2
    if "linear" in schedule.slices:
        evaluations += schedule.linear_n
    if "axis" in schedule.slices:
        evaluations += schedule.axis_kwargs["n"] * len(schedule.axis_kwargs["params"])
    return one * evaluations


def fitting_families(model: nn.Module, *, classifier_hint: str | None = None) -> dict[str, tuple[bool, str]]:
    """Which of predictions / tokens / attention fit `model`, each with the reason: predictions for a
    classifier (a Hugging Face `...ForSequenceClassification`-like model, or `classifier_hint`: why the
    framework thinks it may be one), tokens for a causal language model, attention where the model can
    return its weights."""
    task = task_of(model)
    name = type(model).__name__
    if task == "classification":
        predictions = (True, f"{name} is a classifier")
    elif classifier_hint is not None:
        predictions = (True, classifier_hint)
    else:
        predictions = (False, f"{name} is not a classifier")
    tokens = (
        (True, f"{name} is a causal language model")
        if task == "causal_lm"
        else (False, f"{name} is not a causal language model")
    )
    attention = (
        (True, f"{name} can return its attention weights")
        if has_attention(model)
        else (False, f"{name} has no attention weights to read (no Hugging Face attention, no nn.MultiheadAttention)")
    )
    return {"predictions": predictions, "tokens": tokens, "attention": attention}


def announce(added: list[tuple[Any, str]], skipped: list[tuple[str, str]]) -> None:
    """Log what a preset added and why it skipped the rest."""
    from tb_suite.core.budget import logger

    lines = [f"  + {type(callback).__name__}: {why}" for callback, why in added]
    lines += [f"  - {name}: {why}" for name, why in skipped]
    logger().info("tb-suite added %d callbacks:\n%s", len(added), "\n".join(lines))
