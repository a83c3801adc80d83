"""Lightning callbacks that write tb-suite summaries into the run of the trainer's `TensorBoardLogger`.

    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger
    trainer = L.Trainer(
        logger=TensorBoardLogger("runs"),
        callbacks=[tbs.lightning.PredictionsCallback(class_names=names)],
    )

Then `tensorboard --logdir runs` shows the summaries next to the scalars the model logs with `self.log`.
Works with the `lightning` package (`lightning.pytorch`); install it with `pip install 'tb-suite[lightning]'`.
The examples in this module need a Trainer and a model, so they are plain code, not doctests;
docs/integrations.md has complete, runnable ones (run by tests/integrations/test_docs_examples.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tb_suite.integrations import require

pl = require("lightning.pytorch", "lightning")

import torch  # noqa: E402  (Lightning has imported it already)
from lightning.pytorch.loggers import TensorBoardLogger  # noqa: E402

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
    "tensorboard_logger",
    "callbacks",
    "LayerMonitorCallback",
]


def tensorboard_logger(trainer: pl.Trainer) -> TensorBoardLogger:
    """The trainer's `TensorBoardLogger` (the first one when there are several)."""
    for candidate in trainer.loggers:
        if isinstance(candidate, TensorBoardLogger):
            return candidate
    raise RuntimeError(
        "tb-suite callbacks write into the run of a TensorBoardLogger, and this Trainer has none: "
        "pass logger=lightning.pytorch.loggers.TensorBoardLogger(save_dir) (or add one to its list of loggers)"
    )


class TBSCallback(pl.Callback, common.BudgetedCallback):
    """Base of tb-suite's Lightning callbacks: finds the run, writes on global rank 0 only, and keeps the
    callbacks within their time budget.

    Subclasses get `self.writer(trainer)` (the run's `Writer` on global rank 0, None on other ranks) and
    `self.gather(trainer, tensor)` (concatenates a tensor from every rank, sizes may differ), and should
    skip `trainer.sanity_checking`. Collectives (`gather`) must run on every rank; writing only on rank 0.
    Scheduled work asks `self.allowed(trainer)` and runs inside `self.spend()`: `budget=True` (default)
    shares the trainer's `tb_suite.core.budget.Budget` (5% of the training time) with every tb-suite
    callback of the trainer, `budget=Budget(...)` shares that one, `budget=False` never skips.
    """

    def __init__(self, *, budget: Budget | bool = True) -> None:
        common.BudgetedCallback.__init__(self, budget)
        self._logdir: str | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        logger = tensorboard_logger(trainer)
        # A logger picks its version directory on each rank by itself; rank 0's choice is the run.
        # Broadcasting is a collective, so it runs here on every rank (like `trainer.log_dir`).
        self._logdir = trainer.strategy.broadcast(logger.log_dir)
        self.share_budget(trainer)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.budget.start()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        report = self.budget.finish()
        if report is not None and trainer.is_global_zero:
            logger().info(report)

    def allowed(self, trainer: pl.Trainer, estimate: float | None = None) -> bool:
        """Whether the budget lets this callback run now, rank 0's answer on every rank."""
        ok = self.budget.allows(self.budget_key, estimate)
        return bool(trainer.strategy.broadcast(ok)) if trainer.world_size > 1 else ok

    def writer(self, trainer: pl.Trainer) -> Writer | None:
        if self._logdir is None:
            raise RuntimeError(f"{type(self).__name__} was used before the Trainer set it up")
        return as_writer(self._logdir) if trainer.is_global_zero else None

    @staticmethod
    def gather(trainer: pl.Trainer, tensor: torch.Tensor) -> torch.Tensor:
        """`tensor` from every rank, concatenated along dim 0 in rank order (every rank gets the result)."""
        if trainer.world_size == 1:
            return tensor
        strategy = trainer.strategy
        sizes = strategy.all_gather(torch.tensor([tensor.shape[0]], device=tensor.device)).flatten().tolist()
        padded = tensor.new_zeros((max(sizes), *tensor.shape[1:]))
        padded[: tensor.shape[0]] = tensor
        gathered = strategy.all_gather(padded)
        return torch.cat([gathered[rank, :size] for rank, size in enumerate(sizes)])

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        writer = self.writer(trainer) if self._logdir is not None else None
        if writer is not None:
            writer.flush()


SCORE_KEYS = ("scores", "probs", "logits", "preds", "predictions", "y_hat", "outputs")
TARGET_KEYS = ("targets", "target", "labels", "label", "y")
IMAGE_KEYS = ("images", "image", "pixel_values", "x")


class PredictionsCallback(TBSCallback):
    """Logs validation predictions with `tbs.log_predictions` at the end of each validation epoch.

    Scores and targets come, without configuration, from the usual `validation_step` patterns: a dict
    with the scores under `scores_key` or one of `scores`, `probs`, `logits`, `preds`, `predictions`,
    `y_hat`, `outputs` and the targets under `targets_key` or `targets`, `target`, `labels`, `label`, `y`;
    a tuple `(scores, targets[, images])`; the scores alone (a `[N, C]` / `[N]` tensor). Targets missing
    from the output are the batch's (`batch[1]` of an `(x, y)` batch, or its `labels` / `targets` / `y`
    entry). When `validation_step` returns only its loss (or nothing), the module is run on the batch's
    inputs (`pl_module(x)`, or the Hugging Face model inside it on the batch dict) for the scores. Or pass
    `predict_fn(pl_module, batch)` returning the same, to compute them yourself. Scores are probabilities
    or logits `[N, C]` (`[N]` for binary), targets class indices `[N]`; images (the output's `images_key`,
    else the batch's inputs) as `log_predictions` takes them (`[N, C, H, W]`, `[N, H, W, C]` or
    `[N, H, W]`, uint8 or float in [0, 1]). They stay on their device; `max_samples` bounds how many are
    kept per validation; `scalars=True` also writes `<tag>/accuracy` and `<tag>/macro_auc` scalars.

    Under DDP the samples of every rank are gathered, and global rank 0 logs them all (a
    `DistributedSampler` pads the last batch, so a few samples may count twice). The step is
    `trainer.global_step`; the sanity check and validation epochs not selected by `every_n_epochs`
    (epoch e, counted from 1, is logged when e % every_n_epochs == 0) are skipped, and so are epochs the
    time budget has no room for.

    Example:
        class Model(L.LightningModule):
            def validation_step(self, batch, batch_idx):
                x, y = batch
                logits = self(x)
                self.log("val_loss", F.cross_entropy(logits, y))
                return logits  # targets and images: the batch's y and x
        trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
            tbs.lightning.PredictionsCallback(class_names=names, log_images=True)])
    """

    def __init__(
        self,
        tag: str = "val",
        *,
        class_names: Sequence[str] | None = None,
        log_images: bool = False,
        max_samples: int | None = None,
        every_n_epochs: int = 1,
        predict_fn: Callable[[pl.LightningModule, Any], Any] | None = None,
        scores_key: str = "scores",
        targets_key: str = "targets",
        images_key: str = "images",
        dataloader_idx: int = 0,
        scalars: bool = False,
        budget: Budget | bool = True,
    ) -> None:
        super().__init__(budget=budget)
        self.every = common.Every(None, every_n_epochs, ("epochs", 1))
        check_positive_int(max_samples, "max_samples", optional=True)
        if predict_fn is not None and not callable(predict_fn):
            raise TypeError("predict_fn must be callable as predict_fn(pl_module, batch)")
        self.tag = check_tag(tag)
        self.class_names = None if class_names is None else list(class_names)
        self.log_images = log_images
        self.max_samples = max_samples
        self.predict_fn = predict_fn
        self.keys = (scores_key, targets_key, images_key)
        self.dataloader_idx = dataloader_idx
        self.scalars = scalars
        self._collecting = False
        self._parts: list[tuple[torch.Tensor, ...]] = []
        self._count = 0

    @property
    def every_n_epochs(self) -> int:
        return self.every.n

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._parts, self._count = [], 0
        due = not (trainer.sanity_checking or self.off) and self.every.at_epoch_end(trainer.current_epoch + 1)
        self._collecting = due and self.allowed(trainer)

    def on_validation_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if not self._collecting or dataloader_idx != self.dataloader_idx:
            return
        if self.max_samples is not None and self._count >= self.max_samples:
            return
        with self.spend(run=False):
            try:
                parts = self._split(pl_module, outputs, batch)
            except (TypeError, ValueError, KeyError) as exc:
                self._collecting, self._parts = False, []
                self.turn_off(exc)
                return
            if self.max_samples is not None:
                parts = tuple(part[: self.max_samples - self._count] for part in parts)
            self._count += parts[0].shape[0]
            self._parts.append(parts)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._collecting:
            return
        parts, self._parts, self._collecting = self._parts, [], False
        if not parts:
            return
        with self.spend():
            columns = [self.gather(trainer, torch.cat(column)) for column in zip(*parts)]
            if self.max_samples is not None:
                columns = [column[: self.max_samples] for column in columns]
            writer = self.writer(trainer)
            if writer is None:
                return
            log_predictions(
                writer,
                self.tag,
                columns[0],
                columns[1],
                step=trainer.global_step,
                class_names=self.class_names,
                images=columns[2] if self.log_images else None,
                scalars=self.scalars,
            )

    def _split(self, pl_module: pl.LightningModule, outputs: Any, batch: Any) -> tuple[torch.Tensor, ...]:
        """(scores, targets) or (scores, targets, images) as detached tensors."""
        scores_key, targets_key, images_key = self.keys
        origin = "predict_fn" if self.predict_fn is not None else "validation_step"
        source = self.predict_fn(pl_module, batch) if self.predict_fn is not None else outputs
        scores = targets = images = None
        if _is_mapping(source):
            scores = _first(source, (scores_key, *SCORE_KEYS))
            targets = _first(source, (targets_key, *TARGET_KEYS))
            images = _first(source, (images_key,))
        elif isinstance(source, (tuple, list)) and len(source) in (2, 3) and _batched(source[0]):
            scores, targets = source[0], source[1]
            images = source[2] if len(source) == 3 else None
        elif _batched(source):
            scores = source
        if scores is None and self.predict_fn is None:
            scores = _forward_scores(pl_module, batch)
        if scores is None:
            raise TypeError(
                f"PredictionsCallback needs scores and targets: {origin} returned {type(source).__name__}; "
                f"return the scores, (scores, targets), or a dict with {scores_key!r} and {targets_key!r}, "
                "or pass predict_fn(pl_module, batch)"
            )
        if targets is None and self.predict_fn is None:
            targets = _batch_part(batch, 1, TARGET_KEYS)
        if targets is None:
            raise KeyError(
                f"PredictionsCallback: found scores but no targets in what {origin} returned or in the batch; "
                f"return {{{scores_key!r}: scores, {targets_key!r}: targets}} or pass predict_fn"
            )
        parts = [scores, targets]
        if self.log_images:
            images = images if images is not None else _batch_part(batch, 0, IMAGE_KEYS)
            if images is None:
                raise ValueError(
                    f"PredictionsCallback(log_images=True): no images in what {origin} returned or in the batch"
                )
            parts.append(images)
        names = ("scores", "targets", "images")
        tensors = [(part if isinstance(part, torch.Tensor) else torch.as_tensor(part)).detach() for part in parts]
        lengths = {name: t.shape[0] if t.ndim else None for name, t in zip(names, tensors)}
        if len(set(lengths.values())) != 1 or None in lengths.values():
            raise ValueError(f"PredictionsCallback: scores, targets and images need one batch size, got {lengths}")
        return tuple(tensors)


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) or (hasattr(value, "keys") and hasattr(value, "__getitem__"))


def _first(mapping: Any, keys: Sequence[str]) -> Any:
    return next((mapping[key] for key in dict.fromkeys(keys) if key in mapping and mapping[key] is not None), None)


def _batched(value: Any) -> bool:
    """A per-sample tensor (not a scalar loss)."""
    return isinstance(value, torch.Tensor) and value.ndim >= 1


def _batch_part(batch: Any, index: int, keys: Sequence[str]) -> Any:
    """`batch[index]` of a tuple batch, or the first of `keys` in a dict batch."""
    if _is_mapping(batch):
        return _first(batch, keys)
    if isinstance(batch, (tuple, list)) and len(batch) > index and _batched(batch[index]):
        return batch[index]
    return None


def _forward_scores(pl_module: pl.LightningModule, batch: Any) -> torch.Tensor | None:
    """The module's scores for a batch whose validation_step returned none: `pl_module(x)` for an `(x, y)`
    batch; for a dict batch, the Hugging Face model inside the module (else the module) on its inputs."""
    if _is_mapping(batch):
        found = common.find_transformer(pl_module)
        model = found[1] if found is not None else pl_module
        inputs = {key: value for key, value in batch.items() if key not in TARGET_KEYS}
        output = model(**inputs)
    elif isinstance(batch, (tuple, list)) and len(batch) >= 2 and _batched(batch[0]):
        output = pl_module(batch[0])
    else:
        return None
    if _is_mapping(output) or hasattr(output, "logits"):
        output = output["logits"] if _is_mapping(output) else output.logits
    elif isinstance(output, (tuple, list)) and output:
        output = output[0]
    return output if _batched(output) else None


class LandscapeCallback(TBSCallback):
    """Logs loss-landscape slices (`tbs.landscape`) of the LightningModule at the end of every
    `every_n_epochs` epochs (default 1), or every `every_n_steps` optimizer steps instead; the same
    arguments mean the same in `tbs.transformers.LandscapeCallback`.

    The slices are evaluated on `data` (a batch or batches), or on the first training batch, which is held
    on CPU; batches are `(inputs, targets)` with `loss_fn(model(inputs), targets)`, or dicts when
    `loss_fn` is None and the model returns a `loss`. The model is the LightningModule, or
    `getattr(pl_module, model_attr)` (e.g. a Hugging Face model inside it). Options are those of
    `tb_suite.landscape.schedule.SliceSchedule` (`slices=("plane", "linear", "axis")`, `grid`, `span`,
    `axis_params`, `trajectory`, ...). A plane at the default grid=21 is 441 loss evaluations: before the
    first one the callback times one evaluation, and it logs only when the time budget has room (later
    runs use their measured cost). Under DDP every rank computes a share of the grid (rank 0's batch is
    used everywhere) and global rank 0 logs at `trainer.global_step`.

    Example:
        trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
            tbs.lightning.LandscapeCallback(loss_fn=F.cross_entropy, every_n_epochs=2, slices=("plane", "linear"))])
    """

    def __init__(
        self,
        *,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        model_attr: str | None = None,
        budget: Budget | bool = True,
        **options: Any,
    ) -> None:
        super().__init__(budget=budget)
        from tb_suite.landscape.schedule import SliceSchedule

        self.every = common.Every(every_n_steps, every_n_epochs, ("epochs", 1))
        self.model_attr = model_attr
        self.schedule = SliceSchedule(**options)
        self._estimate: float | None = None  # of the first run's cost, until one was measured
        self._last_step: int | None = None

    def _model(self, pl_module: pl.LightningModule) -> torch.nn.Module:
        return common.resolve_model(pl_module, self.model_attr, "")[0] if self.model_attr else pl_module

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self.schedule.begin(self._model(pl_module))

    def on_train_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int) -> None:
        self.schedule.hold(batch)

    def on_train_batch_end(self, trainer, pl_module, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = trainer.global_step
        if self.every.at_step(step) and step != self._last_step:
            self._last_step = step
            self._log(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking and self.every.at_epoch_end(trainer.current_epoch + 1):
            self._log(trainer, pl_module)

    def _log(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.off:
            return
        model = self._model(pl_module)
        if self._estimate is None and not self.budget.measured(self.budget_key):
            with self.spend(run=False):
                try:
                    self._estimate = common.landscape_cost(self.schedule, model)
                except (TypeError, ValueError) as exc:
                    self.turn_off(exc)
                    return
        estimate = None if self.budget.measured(self.budget_key) else self._estimate
        if self.allowed(trainer, estimate):
            with self.spend():
                self.schedule.log(model, self.writer(trainer), trainer.global_step)


class AttentionCallback(TBSCallback):
    """Every `every_n_steps` optimizer steps (default 100, and after the first), or at the end of every
    `every_n_epochs` epochs instead, runs fixed probe inputs through the model and logs their attention
    (`tbs.log_attention`, tag `tag`) and head entropy (plus gradient importance with `importance=True`)
    under `<tag>/heads`, on global rank 0 only, when the time budget has room.

    `inputs`: a dict (`input_ids`, `attention_mask`) for a Hugging Face model; token ids `[B, T]` (for a
    Hugging Face model too: they become its `input_ids`); or a tensor / tuple passed as `model(*inputs)`
    for a module built from `torch.nn.MultiheadAttention`. None takes the first `num_sequences` rows of
    the first training batch. The model is `getattr(pl_module, model_attr)`, else the Hugging Face model
    inside the LightningModule (under a usual name such as `model`, or its only `PreTrainedModel`), else
    the module itself; the first probe logs which one it found. Tokens come from `tokens=` or
    `tokenizer=` (ids as numbers otherwise), and padding is cut away (the `attention_mask`, else the
    tokenizer's pad token). Other options are those of `tb_suite.attention.probe.AttentionProbe`.

    Example:
        probe = tokenizer(["the cat sat on the mat"], return_tensors="pt")
        trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
            tbs.lightning.AttentionCallback(probe, tokenizer=tokenizer, every_n_steps=50)])
    """

    def __init__(
        self,
        inputs: Any = None,
        *,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        model_attr: str | None = None,
        num_sequences: int = 2,
        budget: Budget | bool = True,
        **options: Any,
    ) -> None:
        super().__init__(budget=budget)
        check_positive_int(num_sequences, "num_sequences")
        from tb_suite.attention.probe import AttentionProbe

        self.every = common.Every(every_n_steps, every_n_epochs, ("steps", 100))
        self.model_attr = model_attr
        self.num_sequences = num_sequences
        self.tag = options.get("tag", "attention")
        self.options = options
        self._inputs = inputs
        if inputs is not None:
            AttentionProbe(inputs, **options)  # refuses bad options now, not at the first probe
        self.probe: AttentionProbe | None = None
        self._model: torch.nn.Module | None = None
        self._last_step: int | None = None

    def on_train_batch_end(self, trainer, pl_module, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self._inputs is None:
            self._inputs = common.probe_inputs(batch, self.num_sequences, self.options.get("importance", False))
        step = trainer.global_step
        first = step == 1 and self.every.unit == "steps"
        if trainer.sanity_checking or step == self._last_step or not (self.every.at_step(step) or first):
            return
        self._last_step = step
        self._log(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking and self.every.at_epoch_end(trainer.current_epoch + 1):
            self._log(trainer, pl_module)

    def _log(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # the probe runs on rank 0 alone (no collective), so rank 0's budget decides without a broadcast
        if not trainer.is_global_zero or self.off or not self.budget.allows(self.budget_key):
            return
        with self.spend():
            try:
                if self.probe is None:
                    self._model, self.probe = common.attention_probe(
                        pl_module, self.model_attr, self._inputs, self.options
                    )
                self.probe.log(self._model, self.writer(trainer), trainer.global_step)
            except (TypeError, ValueError, RuntimeError) as exc:
                self.turn_off(exc)


class TokenPredictionsCallback(TBSCallback):
    """After each validation epoch (every `every_n_epochs`), runs fixed probe sequences through the model
    and logs their per-token next-token predictions (`tbs.log_token_predictions`, tag `tag`) on global
    rank 0 only, when the time budget has room.

    `probes` are texts (tokenized with `tokenizer`), token ids `[B, T]`, or a dict with `input_ids` (and
    `attention_mask`, `labels`); by default, the first `num_sequences` sequences of the first validation
    batch (a dict with `input_ids`, an id tensor, or a tuple whose first item is the ids), taken once so
    every epoch shows the same sequences. The model is `getattr(pl_module, model_attr)`, else the Hugging
    Face model inside the LightningModule (called with `input_ids` and `attention_mask`), else the module
    itself, called as `pl_module(input_ids)` (with `attention_mask=` only when its forward names one). It
    may return logits, a tuple starting with them or an output with `.logits`;
    `forward_fn(model, input_ids, attention_mask) -> logits` overrides this. Sanity checks are skipped.

    Example:
        trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
            tbs.lightning.TokenPredictionsCallback(["the cat sat on the mat"], tokenizer=tok, k=10)])
    """

    def __init__(
        self,
        probes: Any = None,
        *,
        tag: str = "tokens",
        tokenizer: Any = None,
        num_sequences: int = 4,
        k: int = 20,
        every_n_epochs: int = 1,
        model_attr: str | None = None,
        forward_fn: Callable | None = None,
        budget: Budget | bool = True,
    ) -> None:
        super().__init__(budget=budget)
        from tb_suite.tokens.probes import probe_batch

        for name, value in (("num_sequences", num_sequences), ("k", k)):
            check_positive_int(value, name)
        self.every = common.Every(None, every_n_epochs, ("epochs", 1))
        self.tag = check_tag(tag)
        self.tokenizer = tokenizer
        self.num_sequences = num_sequences
        self.k = k
        self.model_attr = model_attr
        self.forward_fn = forward_fn
        self._batch = None if probes is None else probe_batch(probes, tokenizer)
        self._model: tuple[torch.nn.Module, Callable | None] | None = None

    @property
    def every_n_epochs(self) -> int:
        return self.every.n

    def on_validation_batch_end(
        self, trainer, pl_module, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if self._batch is None and dataloader_idx == 0:
            from tb_suite.tokens.probes import first_sequences

            self._batch = first_sequences([batch], self.num_sequences)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not self.every.at_epoch_end(trainer.current_epoch + 1) or self._batch is None:
            return
        writer = self.writer(trainer)
        if writer is None or not self.budget.allows(self.budget_key):
            return
        from tb_suite.tokens.probes import log_probes

        with self.spend():
            if self._model is None:
                self._model = self._resolve(pl_module)
            model, forward_fn = self._model
            log_probes(
                writer,
                self.tag,
                model,
                self._batch,
                step=trainer.global_step,
                tokenizer=self.tokenizer,
                k=self.k,
                forward_fn=forward_fn,
            )

    def _resolve(self, pl_module: pl.LightningModule) -> tuple[torch.nn.Module, Callable | None]:
        """The model to probe and how to call it (None: with input_ids and attention_mask)."""
        model, found = common.resolve_model(pl_module, self.model_attr, self.budget_key)
        logger().info(f"tb-suite: {found}")
        if self.forward_fn is not None or common.is_hf_model(model) or self.model_attr:
            return model, self.forward_fn
        if common.accepts(model.forward, "attention_mask", var_keyword=False):
            return model, lambda m, ids, mask: m(ids) if mask is None else m(ids, attention_mask=mask)
        return model, lambda m, ids, mask: m(ids)


def callbacks(
    module: pl.LightningModule,
    *,
    loss_fn: Callable | None = None,
    tokenizer: Any = None,
    class_names: Sequence[str] | None = None,
    budget: float | None = DEFAULT_FRACTION,
) -> list[TBSCallback]:
    """Every tb-suite callback that fits `module`, at its defaults, sharing one time budget (`budget` of
    the training wall time, None: no limit): predictions when it is a classifier (a Hugging Face
    classifier inside, or any `validation_step`: turned off at the first validation whose outputs hold
    no classification scores), tokens for a causal language model, attention where the model can return
    it (probing the first training batch), layers always, landscape within the budget (with `loss_fn`
    for `(inputs, targets)` batches, or the loss of the Hugging Face model inside). Logs what was added
    and why the rest was skipped.

    Example:
        trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=tbs.lightning.callbacks(model))
    """
    shared = Budget(budget)
    found = common.find_transformer(module)
    model = found[1] if found is not None else module
    validates = type(module).validation_step is not pl.LightningModule.validation_step
    hint = None
    if validates and found is None:
        hint = "its validation_step may return classification scores (turned off at the first validation if not)"
    fits = common.fitting_families(model, classifier_hint=hint)
    if not validates:
        fits["predictions"] = (False, "the module has no validation_step")
        fits["tokens"] = (False, "the module has no validation_step") if fits["tokens"][0] else fits["tokens"]
    makers = {
        "predictions": lambda: PredictionsCallback(class_names=class_names, budget=shared),
        "tokens": lambda: TokenPredictionsCallback(tokenizer=tokenizer, budget=shared),
        "attention": lambda: AttentionCallback(tokenizer=tokenizer, budget=shared),
    }
    names = {
        "predictions": "PredictionsCallback",
        "tokens": "TokenPredictionsCallback",
        "attention": "AttentionCallback",
    }
    added: list[tuple[TBSCallback, str]] = []
    skipped: list[tuple[str, str]] = []
    for family, make in makers.items():
        ok, why = fits[family]
        if ok:
            added.append((make(), why))
        else:
            skipped.append((names[family], why))
    added.append((LayerMonitorCallback(budget=shared), "every model has layers"))
    if loss_fn is not None:
        added.append(
            (
                LandscapeCallback(loss_fn=loss_fn, budget=shared),
                "loss_fn on the first training batch, within the time budget",
            )
        )
    elif found is not None:
        added.append(
            (
                LandscapeCallback(model_attr=found[0] or None, budget=shared),
                f"the loss of .{found[0]} on the first training batch, within the time budget",
            )
        )
    else:
        skipped.append(("LandscapeCallback", "pass loss_fn= (loss_fn(module(inputs), targets)) to evaluate the loss"))
    for callback, _ in added:
        callback.preset = True
    common.announce(added, skipped)
    return [callback for callback, _ in added]


class LayerMonitorCallback(TBSCallback):
    """Runs a `tbs.LayerMonitor` on the LightningModule (or `getattr(pl_module, model_attr)`) on global rank 0:
    every `every_n_steps` optimizer steps, and the first, it logs per-layer activations, gradients, weights,
    update ratios and diagnoses (Layers tab) at the optimizer step's index (`trainer.global_step` before it).

    Gradients are read in `on_before_optimizer_step`: accumulated over `accumulate_grad_batches`, unscaled
    under AMP and not yet clipped. The sanity check and validation run in eval mode, so they are not recorded.
    Other ranks install no hooks (gradients are already reduced across ranks). `options` are those of
    `LayerMonitor` (`layers`, `feature_maps`, `check_nonfinite`, `histogram_bins`, `tag`, `thresholds`...).
    The time it spends counts against the shared budget; it is never skipped (a skipped step would break
    the gradient/update pairing).

    Example:
        trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
            tbs.lightning.LayerMonitorCallback(every_n_steps=100, feature_maps=["conv1"])])
    """

    def __init__(
        self, *, every_n_steps: int = 100, model_attr: str | None = None, budget: Budget | bool = True, **options: Any
    ) -> None:
        super().__init__(budget=budget)
        from tb_suite.layers.monitor import LayerMonitor, check_options

        self.every_n_steps = check_positive_int(every_n_steps, "every_n_steps")
        check_options(options)
        self.model_attr = model_attr
        self.options = options
        self.tag = options.get("tag", "layers")
        self._make = LayerMonitor
        self.monitor: Any = None
        self._step: int | None = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        writer = self.writer(trainer)
        if writer is None or self.off:
            return
        model = getattr(pl_module, self.model_attr) if self.model_attr else pl_module
        try:
            self.monitor = self._make(model, writer, every=self.every_n_steps, **self.options)
        except (TypeError, ValueError) as exc:
            self.turn_off(exc)

    def on_before_optimizer_step(self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Any) -> None:
        if self.monitor is None or trainer.sanity_checking:
            return
        self._step = trainer.global_step
        with self.spend(run=False):
            self.monitor.collect_gradients()

    def on_train_batch_end(self, trainer, pl_module, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self.monitor is None or self._step is None:  # no optimizer step in this batch (accumulation)
            return
        step, self._step = self._step, None
        logging = self.monitor.logging_next
        with self.spend(run=logging):
            self.monitor.step(step)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None
        super().on_train_end(trainer, pl_module)
