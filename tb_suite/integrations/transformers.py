"""Hugging Face `Trainer` support: tb-suite summaries in the run of the trainer's `TensorBoardCallback`.

    trainer = Trainer(model, TrainingArguments("out", eval_strategy="epoch", report_to=["tensorboard"]),
                      train_dataset=train, eval_dataset=val)
    tbs.transformers.attach(trainer, tbs.transformers.PredictionsCallback(class_names=names))
    trainer.train()

Then `tensorboard --logdir out/runs` shows the summaries next to the Trainer's own scalars.
Needs transformers 5 (`pip install 'tb-suite[transformers]'`).
The examples in this module need a Trainer and a model, so they are plain code, not doctests;
docs/integrations.md has complete, runnable ones (run by tests/integrations/test_docs_examples.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tb_suite.integrations import require

transformers = require("transformers", "transformers")

from transformers import Trainer, TrainerCallback  # noqa: E402
from transformers.integrations import TensorBoardCallback  # noqa: E402

from tb_suite.core.budget import DEFAULT_FRACTION, Budget, logger  # noqa: E402
from tb_suite.core.validate import check_positive_int, check_tag  # noqa: E402
from tb_suite.core.writer import Writer, as_writer  # noqa: E402
from tb_suite.integrations import common  # noqa: E402
from tb_suite.predictions.summary import log_predictions  # noqa: E402

__all__ = [
    "TBSCallback",
    "PredictionsCallback",
    "LandscapeCallback",
    "AttentionCallback",
    "TokenPredictionsCallback",
    "attach",
    "callbacks_for",
    "LayerMonitorCallback",
]


def attach(trainer: Trainer, *callbacks: TBSCallback, budget: float | None = DEFAULT_FRACTION) -> TensorBoardCallback:
    """Add tb-suite callbacks to `trainer` (any `Trainer` subclass) so they write into its TensorBoard run.

    Finds the trainer's `TensorBoardCallback` (added by `report_to=["tensorboard"]`), or adds one, and
    returns it. With no callbacks, attaches every family that fits the model (`callbacks_for`) and logs
    what it added and why it skipped the rest. All of the trainer's tb-suite callbacks share one time
    budget: `budget` of the training wall time (None: no limit); the figure is logged when training ends.
    Call it before `train()`/`evaluate()`.

    Example:
        tbs.transformers.attach(trainer)  # everything that fits
        tbs.transformers.attach(trainer, tbs.transformers.PredictionsCallback(class_names=names))
    """
    if not isinstance(trainer, Trainer):
        raise TypeError(f"trainer must be a transformers.Trainer, got {type(trainer).__name__}")
    shared = getattr(trainer, "_tb_suite_budget", None)
    if not isinstance(shared, Budget) or shared.fraction != budget:
        trainer._tb_suite_budget = Budget(budget)
    callbacks = callbacks or tuple(callbacks_for(trainer))
    for callback in callbacks:
        if not isinstance(callback, TBSCallback):
            raise TypeError(f"callbacks must be tb-suite Trainer callbacks, got {type(callback).__name__}")
    tensorboard = next((cb for cb in trainer.callback_handler.callbacks if isinstance(cb, TensorBoardCallback)), None)
    if tensorboard is None:
        tensorboard = TensorBoardCallback()
        trainer.add_callback(tensorboard)
    for callback in callbacks:
        callback.bind(trainer, tensorboard)
        if callback not in trainer.callback_handler.callbacks:
            trainer.add_callback(callback)
    return tensorboard


class TBSCallback(TrainerCallback, common.BudgetedCallback):
    """Base of tb-suite's Trainer callbacks; `attach` binds them to the trainer's TensorBoard run.

    Trainer callbacks receive no trainer (transformers 5 passes `model`, `processing_class`, `optimizer`,
    `lr_scheduler`, `train_dataloader`, `eval_dataloader`), so `attach` calls `bind(trainer, tensorboard)`
    once; subclasses may extend `bind` to hook into the trainer. In any event, `self.writer(args, state)`
    is the run's `Writer` on the world's main process and None elsewhere. Scheduled work asks
    `self.budget.allows(self.budget_key)` and runs inside `self.spend()`: `budget=True` (default) shares
    the trainer's `tb_suite.core.budget.Budget` (set by `attach`), `budget=Budget(...)` that one,
    `budget=False` never skips.
    """

    def __init__(self, *, budget: Budget | bool = True) -> None:
        common.BudgetedCallback.__init__(self, budget)
        self._tensorboard: TensorBoardCallback | None = None

    def bind(self, trainer: Trainer, tensorboard: TensorBoardCallback) -> None:
        self._tensorboard = tensorboard
        self.share_budget(trainer)

    def on_train_begin(self, args, state, control, **kwargs):
        self.budget.start()

    def on_train_end(self, args, state, control, **kwargs):
        report = self.budget.finish()
        if report is not None and state.is_world_process_zero:
            logger().info(report)

    def writer(self, args: Any, state: Any) -> Writer | None:
        tensorboard = self._tensorboard
        if tensorboard is None:
            raise RuntimeError(
                f"{type(self).__name__} is not attached: add it with tbs.transformers.attach(trainer, callback)"
            )
        if not state.is_world_process_zero:
            return None
        target = tensorboard.tb_writer if tensorboard.tb_writer is not None else tensorboard.logging_dir
        if target is None:  # nothing logged yet: open the run the way the callback's own on_log does
            tensorboard._init_summary_writer(args)
            target = tensorboard.tb_writer
        return as_writer(target)


class PredictionsCallback(TBSCallback):
    """Logs each evaluation's predictions with `tbs.log_predictions` (scores = softmax of the logits).

    The predictions are the ones the Trainer gathers from every process for `compute_metrics` (no extra
    forward pass): `attach` wraps the trainer's `compute_metrics` (keeping the user's metrics) and the
    main process logs them in `on_evaluate` at `state.global_step`. The tag is `tag`, or
    `"<tag>/<name>"` for the evaluation of a named eval dataset or another `metric_key_prefix`. Class
    names default to `model.config.id2label`. A model with one output logit is binary (sigmoid scores).
    Needs `prediction_loss_only=False` and `batch_eval_metrics=False`; `trainer.predict` is not logged.
    `scalars=True` also writes `<tag>/accuracy` and `<tag>/macro_auc` scalars. During training, an
    evaluation the time budget has no room for is not logged.

    Example:
        callback = tbs.transformers.PredictionsCallback(class_names=["neg", "pos"], max_samples=50_000)
        tbs.transformers.attach(trainer, callback)
    """

    def __init__(
        self,
        tag: str = "eval",
        *,
        class_names: Sequence[str] | None = None,
        max_samples: int | None = None,
        scalars: bool = False,
        budget: Budget | bool = True,
    ) -> None:
        super().__init__(budget=budget)
        check_positive_int(max_samples, "max_samples", optional=True)
        self.tag = check_tag(tag)
        self.class_names = None if class_names is None else list(class_names)
        self.max_samples = max_samples
        self.scalars = scalars
        self._pending: tuple[Any, Any] | None = None

    def bind(self, trainer: Trainer, tensorboard: TensorBoardCallback) -> None:
        if trainer.args.prediction_loss_only:
            raise ValueError("PredictionsCallback needs the logits: set prediction_loss_only=False")
        if trainer.args.batch_eval_metrics:
            raise ValueError("PredictionsCallback needs all eval predictions at once: set batch_eval_metrics=False")
        super().bind(trainer, tensorboard)
        user_metrics = trainer.compute_metrics

        def compute_metrics(eval_prediction):
            self._pending = (eval_prediction.predictions, eval_prediction.label_ids)
            return user_metrics(eval_prediction) if user_metrics is not None else {}

        trainer.compute_metrics = compute_metrics

    def on_predict(self, args, state, control, metrics=None, **kwargs):
        self._pending = None

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        writer = self.writer(args, state)
        pending, self._pending = self._pending, None
        if writer is None or pending is None:  # not the main process, or no labels (so no metrics)
            return
        if not self.budget.allows(self.budget_key):
            return
        with self.spend():
            logits, labels = (value[0] if isinstance(value, (tuple, list)) else value for value in pending)
            if self.max_samples is not None:
                logits, labels = logits[: self.max_samples], labels[: self.max_samples]
            scores = _scores(np.asarray(logits, dtype=np.float32))
            log_predictions(
                writer,
                self._tag(metrics or {}),
                scores,
                np.asarray(labels),
                step=state.global_step,
                class_names=self.class_names or _config_names(model, 2 if scores.ndim == 1 else scores.shape[1]),
                scalars=self.scalars,
            )
            writer.flush()  # like the TensorBoardCallback after each log: the evaluation is visible at once

    def _tag(self, metrics: Mapping[str, Any]) -> str:
        # Trainer.evaluate reports f"{metric_key_prefix}_runtime"; the prefix names the eval dataset.
        prefix = next((key[: -len("_runtime")] for key in metrics if key.endswith("_runtime")), "eval")
        return self.tag if prefix == "eval" else f"{self.tag}/{prefix.removeprefix('eval_')}"


def _scores(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits `[N, C]`: softmax, or a sigmoid `[N]` for a single logit."""
    if logits.ndim == 2 and logits.shape[1] == 1:
        return 0.5 + 0.5 * np.tanh(0.5 * logits[:, 0])  # the sigmoid, without overflow
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _config_names(model: Any, num_classes: int) -> list[str] | None:
    id2label = getattr(getattr(model, "config", None), "id2label", None) or {}
    names = [id2label.get(i) for i in range(num_classes)]
    return None if None in names else [str(name) for name in names]


class LandscapeCallback(TBSCallback):
    """Logs loss-landscape slices (`tbs.landscape`) of the model at the end of every `every_n_epochs`
    epochs (default 1), or every `every_n_steps` optimizer steps instead; the same arguments mean the same
    in `tbs.lightning.LandscapeCallback`.

    The slices are evaluated on `data`, or on the first batch of the train dataloader (held on CPU), with
    the model's own loss (`model(**batch).loss`) unless `loss_fn(outputs, batch)` is given. Options are
    those of `tb_suite.landscape.schedule.SliceSchedule` (`slices=("plane", "linear", "axis")`, `grid`,
    `span`, `axis_params`, `trajectory`, ...). A plane at the default grid=21 is 441 loss evaluations:
    before the first one the callback times one evaluation, and it logs only when the time budget has
    room (later runs use their measured cost). Under distributed training every process computes a share
    of the grid (the main process's batch is used everywhere) and the main process logs.

    Example:
        tbs.transformers.attach(trainer, tbs.transformers.LandscapeCallback(every_n_steps=50, grid=15))
    """

    def __init__(
        self,
        *,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        budget: Budget | bool = True,
        **options: Any,
    ) -> None:
        super().__init__(budget=budget)
        from tb_suite.landscape.schedule import SliceSchedule

        self.every = common.Every(every_n_steps, every_n_epochs, ("epochs", 1))
        self.schedule = SliceSchedule(**options)
        self._estimate: float | None = None  # of the first run's cost, until one was measured

    def on_train_begin(self, args, state, control, model=None, train_dataloader=None, **kwargs):
        super().on_train_begin(args, state, control)
        self.schedule.begin(model)
        if self.schedule.data is None and train_dataloader is not None:
            self.schedule.hold(next(iter(train_dataloader)))

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self.every.at_step(state.global_step):
            self._log(args, state, model)

    def on_epoch_end(self, args, state, control, model=None, **kwargs):
        if self.every.at_epoch_end(round(state.epoch or 0)):
            self._log(args, state, model)

    def _log(self, args, state, model) -> None:
        from tb_suite.landscape.schedule import _same_on_every_rank

        if self.off:
            return
        if self._estimate is None and not self.budget.measured(self.budget_key):
            with self.spend(run=False):
                try:
                    self._estimate = common.landscape_cost(self.schedule, model)
                except (TypeError, ValueError) as exc:
                    self.turn_off(exc)
                    return
        estimate = None if self.budget.measured(self.budget_key) else self._estimate
        if _same_on_every_rank(self.budget.allows(self.budget_key, estimate)):  # the grid is shared by every rank
            with self.spend():
                self.schedule.log(model, self.writer(args, state), state.global_step)


class AttentionCallback(TBSCallback):
    """Every `every_n_steps` optimizer steps (default 100, and after the first), or at the end of every
    `every_n_epochs` epochs instead, runs fixed probe inputs through the model and logs their attention
    (`tbs.log_attention`, tag `tag`) and head entropy (plus gradient importance with `importance=True`,
    which needs `labels` in the inputs) under `<tag>/heads`, on the main process only, when the time
    budget has room. The model's attention is switched to `eager` for the probe (`sdpa` returns no
    weights) and back. `inputs`: a tokenizer's dict, token ids `[B, T]`, or None for the first
    `num_sequences` rows of the first training batch. Tokens come from the trainer's `processing_class`
    unless `tokens=`/`tokenizer=` are given; other options are those of
    `tb_suite.attention.probe.AttentionProbe`.

    Example:
        probe = tokenizer(["the cat sat on the mat", "a dog"], padding=True, return_tensors="pt")
        tbs.transformers.attach(trainer, tbs.transformers.AttentionCallback(probe, every_n_steps=50))
    """

    def __init__(
        self,
        inputs: Any = None,
        *,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        num_sequences: int = 2,
        budget: Budget | bool = True,
        **options: Any,
    ) -> None:
        super().__init__(budget=budget)
        check_positive_int(num_sequences, "num_sequences")
        from tb_suite.attention.probe import AttentionProbe

        self.every = common.Every(every_n_steps, every_n_epochs, ("steps", 100))
        self.num_sequences = num_sequences
        self.tag = options.get("tag", "attention")
        self.options = options
        self._inputs = inputs
        if inputs is not None:
            AttentionProbe(inputs, **options)  # refuses bad options now, not at the first probe
        self.probe: AttentionProbe | None = None

    def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
        super().on_train_begin(args, state, control)
        if self._inputs is None and train_dataloader is not None:
            self._inputs = common.probe_inputs(
                next(iter(train_dataloader)), self.num_sequences, self.options.get("importance", False)
            )

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        first = state.global_step == 1 and self.every.unit == "steps"
        if self.every.at_step(state.global_step) or first:
            self._log(args, state, model, processing_class)

    def on_epoch_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        if self.every.at_epoch_end(round(state.epoch or 0)):
            self._log(args, state, model, processing_class)

    def _log(self, args, state, model, processing_class) -> None:
        writer = self.writer(args, state)
        if writer is None or self.off or self._inputs is None or not self.budget.allows(self.budget_key):
            return
        with self.spend():
            try:
                if self.probe is None:
                    model, self.probe = common.attention_probe(model, None, self._inputs, self.options)
                self.probe.log(model, writer, state.global_step, tokenizer=processing_class)
            except (TypeError, ValueError, RuntimeError) as exc:
                self.turn_off(exc)


class TokenPredictionsCallback(TBSCallback):
    """On each evaluation, runs fixed probe sequences through the model and logs their per-token next-token
    predictions (`tbs.log_token_predictions`, tag `tag`) on the main process, at `state.global_step`,
    when the time budget has room.

    `probes` are texts (tokenized with the trainer's `processing_class` or `tokenizer`), token ids `[B, T]`,
    or a dict with `input_ids` (and `attention_mask`, `labels`); by default, the first `num_sequences`
    sequences of the evaluation dataloader, taken at the first evaluation so every evaluation shows the
    same ones. Token text comes from the same tokenizer. Works for any `Trainer` subclass (e.g. TRL's
    `SFTTrainer`). The probe pass runs on the main process only (not for sharded models such as
    DeepSpeed ZeRO-3 / FSDP, whose forward needs every process).

    Example:
        tbs.transformers.attach(trainer, tbs.transformers.TokenPredictionsCallback(["the cat sat"], k=10))
    """

    def __init__(
        self,
        probes: Any = None,
        *,
        tag: str = "tokens",
        tokenizer: Any = None,
        num_sequences: int = 4,
        k: int = 20,
        budget: Budget | bool = True,
    ) -> None:
        super().__init__(budget=budget)
        for name, value in (("num_sequences", num_sequences), ("k", k)):
            check_positive_int(value, name)
        self.tag = check_tag(tag)
        self.tokenizer = tokenizer
        self.num_sequences = num_sequences
        self.k = k
        self._source = probes
        self._batch = None

    def on_evaluate(self, args, state, control, model=None, processing_class=None, eval_dataloader=None, **kwargs):
        from tb_suite.tokens.probes import first_sequences, log_probes, probe_batch

        writer = self.writer(args, state)
        if writer is None or model is None or not self.budget.allows(self.budget_key):
            return
        with self.spend():
            tokenizer = self.tokenizer or processing_class
            if self._batch is None:
                if self._source is not None:
                    self._batch = probe_batch(self._source, tokenizer)
                elif eval_dataloader is not None:
                    self._batch = first_sequences(eval_dataloader, self.num_sequences)
            if self._batch is None:
                return
            log_probes(writer, self.tag, model, self._batch, step=state.global_step, tokenizer=tokenizer, k=self.k)
            writer.flush()


def callbacks_for(trainer: Trainer) -> list[TBSCallback]:
    """Every tb-suite callback that fits `trainer.model` at its defaults (what `attach(trainer)` adds):
    predictions for a classifier, tokens for a causal language model, attention where the model can
    return it (probing the first training batch), layers always, landscape always (within the time
    budget). Logs what was added and why the rest was skipped.

    Example:
        tbs.transformers.attach(trainer, *tbs.transformers.callbacks_for(trainer)[:2])
    """
    fits = common.fitting_families(trainer.model)
    added: list[tuple[TBSCallback, str]] = []
    skipped: list[tuple[str, str]] = []
    for family, make in (
        ("predictions", PredictionsCallback),
        ("tokens", TokenPredictionsCallback),
        ("attention", AttentionCallback),
    ):
        ok, why = fits[family]
        if ok:
            added.append((make(), why))
        else:
            skipped.append((make.__name__, why))
    added.append((LayerMonitorCallback(), "every model has layers"))
    added.append((LandscapeCallback(), "the model's own loss on the first training batch, within the time budget"))
    for callback, _ in added:
        callback.preset = True
    common.announce(added, skipped)
    return [callback for callback, _ in added]


class LayerMonitorCallback(TBSCallback):
    """Runs a `tbs.LayerMonitor` on the trainer's model on the main process: every `every_n_steps` optimizer
    steps, and the first, it logs per-layer activations, gradients, weights, update ratios and diagnoses
    (Layers tab) at `state.global_step`.

    Gradients are read in `on_pre_optimizer_step` (the Trainer zeroes them before `on_step_end`):
    accumulated over `gradient_accumulation_steps`, unscaled, and clipped when `max_grad_norm` is set
    (the Trainer clips before that event). Evaluation runs in eval mode and is not recorded. `options` are
    those of `LayerMonitor` (`layers`, `feature_maps`, `check_nonfinite`, `histogram_bins`, `tag`...). Its
    time counts against the shared budget; it is never skipped.

    Example:
        tbs.transformers.attach(trainer, tbs.transformers.LayerMonitorCallback(every_n_steps=50))
    """

    def __init__(self, *, every_n_steps: int = 100, budget: Budget | bool = True, **options: Any) -> None:
        super().__init__(budget=budget)
        from tb_suite.layers.monitor import LayerMonitor, check_options

        self.every_n_steps = check_positive_int(every_n_steps, "every_n_steps")
        check_options(options)
        self.options = options
        self.tag = options.get("tag", "layers")
        self._make = LayerMonitor
        self.monitor: Any = None

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        super().on_train_begin(args, state, control)
        writer = self.writer(args, state)
        if writer is None or model is None or self.off:
            return
        try:
            self.monitor = self._make(model, writer, every=self.every_n_steps, **self.options)
        except (TypeError, ValueError) as exc:
            self.turn_off(exc)

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if self.monitor is not None:
            with self.spend(run=False):
                self.monitor.collect_gradients()

    def on_step_end(self, args, state, control, **kwargs):
        if self.monitor is None:
            return
        logging = self.monitor.logging_next
        with self.spend(run=logging):
            self.monitor.step(state.global_step)

    def on_train_end(self, args, state, control, **kwargs):
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None
        super().on_train_end(args, state, control, **kwargs)
