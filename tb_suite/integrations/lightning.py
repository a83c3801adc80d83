"""Lightning callbacks that write tb-suite summaries into the run of the trainer's `TensorBoardLogger`.

    >>> import lightning as L
    >>> from lightning.pytorch.loggers import TensorBoardLogger
    >>> trainer = L.Trainer(
    ...     logger=TensorBoardLogger("runs"),
    ...     callbacks=[tbs.lightning.PredictionsCallback(class_names=names)],
    ... )

Then `tensorboard --logdir runs` shows the summaries next to the scalars the model logs with `self.log`.
Works with the `lightning` package (`lightning.pytorch`); install it with `pip install 'tb-suite[lightning]'`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from tb_suite.integrations import require

pl = require("lightning.pytorch", "lightning")

import torch  # noqa: E402  (Lightning has imported it already)
from lightning.pytorch.loggers import TensorBoardLogger  # noqa: E402

from tb_suite.core.validate import check_positive_int, check_tag  # noqa: E402
from tb_suite.core.writer import Writer, as_writer  # noqa: E402
from tb_suite.predictions.summary import log_predictions  # noqa: E402

__all__ = ["TBSCallback", "PredictionsCallback", "LandscapeCallback", "AttentionCallback", "TokenPredictionsCallback", "tensorboard_logger"]


def tensorboard_logger(trainer: "pl.Trainer") -> TensorBoardLogger:
    """The trainer's `TensorBoardLogger` (the first one when there are several)."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger
    raise RuntimeError(
        "tb-suite callbacks write into the run of a TensorBoardLogger, and this Trainer has none: "
        "pass logger=lightning.pytorch.loggers.TensorBoardLogger(save_dir) (or add one to its list of loggers)"
    )


class TBSCallback(pl.Callback):
    """Base of tb-suite's Lightning callbacks: finds the run, and writes on global rank 0 only.

    Subclasses get `self.writer(trainer)` (the run's `Writer` on global rank 0, None on other ranks) and
    `self.gather(trainer, tensor)` (concatenates a tensor from every rank, sizes may differ), and should
    skip `trainer.sanity_checking`. Collectives (`gather`) must run on every rank; writing only on rank 0.
    """

    def __init__(self) -> None:
        self._logdir: str | None = None

    def setup(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule", stage: str) -> None:
        logger = tensorboard_logger(trainer)
        # A logger picks its version directory on each rank by itself; rank 0's choice is the run.
        # Broadcasting is a collective, so it runs here on every rank (like `trainer.log_dir`).
        self._logdir = trainer.strategy.broadcast(logger.log_dir)

    def writer(self, trainer: "pl.Trainer") -> Writer | None:
        if self._logdir is None:
            raise RuntimeError(f"{type(self).__name__} was used before the Trainer set it up")
        return as_writer(self._logdir) if trainer.is_global_zero else None

    @staticmethod
    def gather(trainer: "pl.Trainer", tensor: torch.Tensor) -> torch.Tensor:
        """`tensor` from every rank, concatenated along dim 0 in rank order (every rank gets the result)."""
        if trainer.world_size == 1:
            return tensor
        strategy = trainer.strategy
        sizes = strategy.all_gather(torch.tensor([tensor.shape[0]], device=tensor.device)).flatten().tolist()
        padded = tensor.new_zeros((max(sizes), *tensor.shape[1:]))
        padded[: tensor.shape[0]] = tensor
        gathered = strategy.all_gather(padded)
        return torch.cat([gathered[rank, :size] for rank, size in enumerate(sizes)])

    def teardown(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule", stage: str) -> None:
        writer = self.writer(trainer) if self._logdir is not None else None
        if writer is not None:
            writer.flush()


class PredictionsCallback(TBSCallback):
    """Logs validation predictions with `tbs.log_predictions` at the end of each validation epoch.

    Scores and targets come from what `validation_step` returns, a dict with the keys `scores_key`,
    `targets_key` (and `images_key` when `log_images`), or a tuple `(scores, targets[, images])`. Or pass
    `predict_fn(pl_module, batch)` returning the same, to compute them from the batch instead. Scores are
    probabilities or logits `[N, C]` (`[N]` for binary), targets class indices `[N]`, images as
    `log_predictions` takes them (`[N, C, H, W]`, `[N, H, W, C]` or `[N, H, W]`, uint8 or float in [0, 1]).
    They stay on their device; `max_samples` bounds how many are kept per validation.

    Under DDP the samples of every rank are gathered, and global rank 0 logs them all (a
    `DistributedSampler` pads the last batch, so a few samples may count twice). The step is
    `trainer.global_step`; the sanity check and validation epochs not selected by `every_n_epochs`
    (epoch e is logged when (e + 1) % every_n_epochs == 0) are skipped.

    Example:
        >>> class Model(L.LightningModule):
        ...     def validation_step(self, batch, batch_idx):
        ...         x, y = batch
        ...         logits = self(x)
        ...         self.log("val_loss", F.cross_entropy(logits, y))
        ...         return {"scores": logits.softmax(-1), "targets": y, "images": x}  # x in [0, 1]
        >>> trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
        ...     tbs.lightning.PredictionsCallback(class_names=names, log_images=True)])
    """

    def __init__(
        self,
        tag: str = "val",
        *,
        class_names: Sequence[str] | None = None,
        log_images: bool = False,
        max_samples: int | None = None,
        every_n_epochs: int = 1,
        predict_fn: Callable[["pl.LightningModule", Any], Any] | None = None,
        scores_key: str = "scores",
        targets_key: str = "targets",
        images_key: str = "images",
        dataloader_idx: int = 0,
    ) -> None:
        super().__init__()
        check_positive_int(every_n_epochs, "every_n_epochs")
        check_positive_int(max_samples, "max_samples", optional=True)
        if predict_fn is not None and not callable(predict_fn):
            raise TypeError("predict_fn must be callable as predict_fn(pl_module, batch)")
        self.tag = check_tag(tag)
        self.class_names = None if class_names is None else list(class_names)
        self.log_images = log_images
        self.max_samples = max_samples
        self.every_n_epochs = every_n_epochs
        self.predict_fn = predict_fn
        self.keys = (scores_key, targets_key, images_key)
        self.dataloader_idx = dataloader_idx
        self._collecting = False
        self._parts: list[tuple[torch.Tensor, ...]] = []
        self._count = 0

    def on_validation_epoch_start(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        self._parts, self._count = [], 0
        self._collecting = not trainer.sanity_checking and (trainer.current_epoch + 1) % self.every_n_epochs == 0

    def on_validation_batch_end(
        self,
        trainer: "pl.Trainer",
        pl_module: "pl.LightningModule",
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if not self._collecting or dataloader_idx != self.dataloader_idx:
            return
        if self.max_samples is not None and self._count >= self.max_samples:
            return
        source = self.predict_fn(pl_module, batch) if self.predict_fn is not None else outputs
        parts = self._split(source)
        if self.max_samples is not None:
            parts = tuple(part[: self.max_samples - self._count] for part in parts)
        self._count += parts[0].shape[0]
        self._parts.append(parts)

    def on_validation_epoch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        if not self._collecting:
            return
        parts, self._parts, self._collecting = self._parts, [], False
        if not parts:
            return
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
        )

    def _split(self, source: Any) -> tuple[torch.Tensor, ...]:
        """(scores, targets) or (scores, targets, images) as detached tensors, from a dict or a tuple."""
        scores_key, targets_key, images_key = self.keys
        origin = "predict_fn" if self.predict_fn is not None else "validation_step"
        if isinstance(source, Mapping):
            wanted = [scores_key, targets_key] + ([images_key] if self.log_images else [])
            missing = [key for key in wanted if key not in source]
            if missing:
                raise KeyError(
                    f"PredictionsCallback: the dict returned by {origin} lacks {missing}; return "
                    f"{{{scores_key!r}: scores, {targets_key!r}: targets"
                    + (f", {images_key!r}: images" if self.log_images else "")
                    + "} or pass predict_fn"
                )
            parts = [source[key] for key in wanted]
        elif isinstance(source, (tuple, list)) and len(source) in (2, 3):
            if self.log_images and len(source) == 2:
                raise ValueError(f"PredictionsCallback(log_images=True): {origin} returned no images")
            parts = list(source[: 3 if self.log_images else 2])
        else:
            raise TypeError(
                f"PredictionsCallback needs scores and targets: {origin} returned {type(source).__name__}; "
                "return a dict with the keys "
                f"{scores_key!r}, {targets_key!r} or a tuple (scores, targets[, images]), or pass predict_fn"
            )
        names = ("scores", "targets", "images")
        tensors = []
        for name, part in zip(names, parts):
            if not isinstance(part, torch.Tensor):
                part = torch.as_tensor(part)
            tensors.append(part.detach())
        lengths = {name: t.shape[0] if t.ndim else None for name, t in zip(names, tensors)}
        if len(set(lengths.values())) != 1 or None in lengths.values():
            raise ValueError(f"PredictionsCallback: scores, targets and images need one batch size, got {lengths}")
        return tuple(tensors)


class LandscapeCallback(TBSCallback):
    """Logs loss-landscape slices (`tbs.landscape`) of the LightningModule every `every_n_epochs` epochs.

    The slices are evaluated on `data` (a batch or batches), or on the first training batch, which is held
    on CPU; batches are `(inputs, targets)` with `loss_fn(pl_module(inputs), targets)`, or dicts when
    `loss_fn` is None and the module returns a `loss`. Options are those of
    `tb_suite.landscape.schedule.SliceSchedule` (`slices=("plane", "linear", "axis")`, `grid`, `span`,
    `axis_params`, `trajectory`, ...). Under DDP every rank computes a share of the grid (rank 0's batch
    is used everywhere) and global rank 0 logs at `trainer.global_step`.

    Example:
        >>> trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
        ...     tbs.lightning.LandscapeCallback(loss_fn=F.cross_entropy, every_n_epochs=2, slices=("plane", "linear"))])
    """

    def __init__(self, *, every_n_epochs: int = 1, **options: Any) -> None:
        super().__init__()
        check_positive_int(every_n_epochs, "every_n_epochs")
        from tb_suite.landscape.schedule import SliceSchedule

        self.every_n_epochs = every_n_epochs
        self.schedule = SliceSchedule(**options)

    def on_train_start(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        self.schedule.begin(pl_module)

    def on_train_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int) -> None:
        self.schedule.hold(batch)

    def on_train_epoch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        if trainer.sanity_checking or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        self.schedule.log(pl_module, self.writer(trainer), trainer.global_step)


class AttentionCallback(TBSCallback):
    """Every `every_n_steps` optimizer steps (and after the first), runs fixed probe inputs through the
    LightningModule and logs their attention (`tbs.log_attention`, tag `tag`) and head entropy (plus
    gradient importance with `importance=True`) under `<tag>/heads`, on global rank 0 only.

    `inputs` and the other options are those of `tb_suite.attention.probe.AttentionProbe`: a dict for a
    Hugging Face model inside the module (pass `model_attr`, e.g. "model", to name it) or a tensor /
    tuple for a module built from `torch.nn.MultiheadAttention`, with `tokens=` or `tokenizer=`.

    Example:
        >>> probe = tokenizer(["the cat sat on the mat"], return_tensors="pt")
        >>> trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
        ...     tbs.lightning.AttentionCallback(probe, tokenizer=tokenizer, model_attr="model", every_n_steps=50)])
    """

    def __init__(self, inputs: Any, *, every_n_steps: int = 100, model_attr: str | None = None, **options: Any) -> None:
        super().__init__()
        check_positive_int(every_n_steps, "every_n_steps")
        from tb_suite.attention.probe import AttentionProbe

        self.every_n_steps = every_n_steps
        self.model_attr = model_attr
        self.probe = AttentionProbe(inputs, **options)
        self._last_step: int | None = None

    def on_train_batch_end(self, trainer, pl_module, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = trainer.global_step
        if trainer.sanity_checking or step == self._last_step or (step % self.every_n_steps and step != 1):
            return
        self._last_step = step
        writer = self.writer(trainer)
        if writer is not None:
            model = getattr(pl_module, self.model_attr) if self.model_attr else pl_module
            self.probe.log(model, writer, step)


class TokenPredictionsCallback(TBSCallback):
    """After each validation epoch, runs fixed probe sequences through the LightningModule and logs their
    per-token next-token predictions (`tbs.log_token_predictions`, tag `tag`) on global rank 0 only.

    `probes` are texts (tokenized with `tokenizer`), token ids `[B, T]`, or a dict with `input_ids` (and
    `attention_mask`, `labels`); by default, the first `num_sequences` sequences of the first validation
    batch (a dict with `input_ids`, an id tensor, or a tuple whose first item is the ids), taken once so
    every epoch shows the same sequences. The module is called as `pl_module(input_ids)` (or
    `getattr(pl_module, model_attr)(input_ids=..., attention_mask=...)` with `model_attr`, e.g. a Hugging
    Face model inside it) and may return logits, a tuple starting with them or an output with `.logits`;
    `forward_fn(model, input_ids, attention_mask) -> logits` overrides this. Sanity checks are skipped.

    Example:
        >>> trainer = L.Trainer(logger=TensorBoardLogger("runs"), callbacks=[
        ...     tbs.lightning.TokenPredictionsCallback(["the cat sat on the mat"], tokenizer=tok, k=10)])
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
    ) -> None:
        super().__init__()
        from tb_suite.tokens.probes import probe_batch

        for name, value in (("num_sequences", num_sequences), ("k", k), ("every_n_epochs", every_n_epochs)):
            check_positive_int(value, name)
        self.tag = check_tag(tag)
        self.tokenizer = tokenizer
        self.num_sequences = num_sequences
        self.k = k
        self.every_n_epochs = every_n_epochs
        self.model_attr = model_attr
        self.forward_fn = forward_fn
        self._batch = None if probes is None else probe_batch(probes, tokenizer)

    def on_validation_batch_end(self, trainer, pl_module, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if self._batch is None and dataloader_idx == 0:
            from tb_suite.tokens.probes import first_sequences

            self._batch = first_sequences([batch], self.num_sequences)

    def on_validation_epoch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        if trainer.sanity_checking or (trainer.current_epoch + 1) % self.every_n_epochs or self._batch is None:
            return
        writer = self.writer(trainer)
        if writer is None:
            return
        from tb_suite.tokens.probes import log_probes

        model = getattr(pl_module, self.model_attr) if self.model_attr else pl_module
        log_probes(
            writer, self.tag, model, self._batch, step=trainer.global_step, tokenizer=self.tokenizer, k=self.k,
            forward_fn=self.forward_fn,
        )
