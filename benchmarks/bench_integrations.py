"""Training speed with every tb-suite callback at its defaults vs without any (issue 13 item 5), one thread.

    .venv/bin/python benchmarks/bench_integrations.py [--repeats 3] [--epochs 6] [--only lightning-classifier]

Four trainings, each run without tb-suite callbacks (the baseline: the framework's own TensorBoard scalars
only) and with every tb-suite callback that fits at its defaults (`tbs.lightning.callbacks(module)` /
`tbs.transformers.attach(trainer)`: predictions or tokens, attention, layers, landscape), interleaved,
`--repeats` times each; the ratio is median(baseline time) / median(time with callbacks), i.e. training
speed with the callbacks relative to without (goal >= 0.95), for the wall time and for the process's CPU
time (which other processes on a shared machine do not disturb; the writer's thread is in it). Also prints
the budget's own figure (the share of the training wall time the callbacks measured for themselves) from
the last run.

- lightning-classifier: a LightningModule wrapping a BERT classifier (2 layers, hidden 64), validation
  every epoch; lightning-lm: a LightningModule wrapping a GPT-2 (2 layers, hidden 64).
- hf-classifier / hf-lm: the same models in a Hugging Face Trainer with eval_strategy="epoch".
Sequences of 32 tokens, batches of 16, 512 training and 128 validation sequences, `--epochs` epochs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import statistics
import tempfile
import time
import warnings

import torch
from torch.utils.data import DataLoader, Dataset

import tb_suite as tbs

VOCAB, LENGTH, BATCH, TRAIN, VAL = 128, 32, 16, 512, 128


class Sequences(Dataset):
    """Random token sequences; class 1 when token 7 occurs; LM labels are the ids."""

    def __init__(self, count: int, seed: int, lm: bool):
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, VOCAB, (count, LENGTH), generator=generator)
        self.labels = self.ids.clone() if lm else (self.ids == 7).any(1).long()

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {
            "input_ids": self.ids[i],
            "attention_mask": torch.ones(LENGTH, dtype=torch.long),
            "labels": self.labels[i],
        }


def model(task: str):
    from transformers import BertConfig, BertForSequenceClassification, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    if task == "classifier":
        return BertForSequenceClassification(
            BertConfig(
                vocab_size=VOCAB,
                hidden_size=64,
                num_hidden_layers=2,
                num_attention_heads=4,
                intermediate_size=128,
                max_position_embeddings=LENGTH,
                num_labels=2,
            )
        )
    return GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_positions=LENGTH, n_embd=64, n_layer=2, n_head=4))


def lightning_run(task: str, callbacks: bool, logdir: str, epochs: int) -> tuple[tuple[float, float], str | None]:
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = model(task)

        def training_step(self, batch, batch_idx):
            loss = self.model(**batch).loss
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            out = self.model(**batch)
            self.log("val_loss", out.loss)
            if task == "classifier":
                return {"logits": out.logits, "labels": batch["labels"]}

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    module = Module()
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        logger=TensorBoardLogger(logdir, name=""),
        callbacks=tbs.lightning.callbacks(module) if callbacks else [],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=10,
        num_sanity_val_steps=0,
    )
    lm = task == "lm"
    train = DataLoader(Sequences(TRAIN, 0, lm), batch_size=BATCH, shuffle=True)
    val = DataLoader(Sequences(VAL, 1, lm), batch_size=BATCH)
    begin, cpu = time.perf_counter(), time.process_time()
    trainer.fit(module, train, val)
    took = (time.perf_counter() - begin, time.process_time() - cpu)
    budget = getattr(trainer, "_tb_suite_budget", None) or _preset_budget(trainer)
    return took, None if budget is None else budget.report()


def _preset_budget(trainer):
    for callback in trainer.callbacks:
        if isinstance(callback, tbs.lightning.TBSCallback):
            return callback.budget
    return None


def hf_run(task: str, callbacks: bool, logdir: str, epochs: int) -> tuple[tuple[float, float], str | None]:
    from transformers import Trainer, TrainingArguments

    lm = task == "lm"
    args = TrainingArguments(
        output_dir=logdir,
        num_train_epochs=epochs,
        per_device_train_batch_size=BATCH,
        per_device_eval_batch_size=BATCH,
        learning_rate=1e-3,
        eval_strategy="epoch",
        logging_steps=10,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_pin_memory=False,
        report_to=["tensorboard"],
    )
    trainer = Trainer(
        model=model(task), args=args, train_dataset=Sequences(TRAIN, 0, lm), eval_dataset=Sequences(VAL, 1, lm)
    )
    if callbacks:
        tbs.transformers.attach(trainer)
    begin, cpu = time.perf_counter(), time.process_time()
    trainer.train()
    took = (time.perf_counter() - begin, time.process_time() - cpu)
    budget = getattr(trainer, "_tb_suite_budget", None)
    return took, None if budget is None or not callbacks else budget.report()


SCENARIOS = {
    "lightning-classifier": (lightning_run, "classifier"),
    "lightning-lm": (lightning_run, "lm"),
    "hf-classifier": (hf_run, "classifier"),
    "hf-lm": (hf_run, "lm"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    options = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    for name in ("lightning", "lightning.pytorch", "transformers", "tb_suite"):
        logging.getLogger(name).setLevel(logging.WARNING)
    names = options.only or list(SCENARIOS)
    times: dict[tuple[str, bool], list[tuple[float, float]]] = {(n, cb): [] for n in names for cb in (False, True)}
    reports: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory() as root:
        for repeat in range(options.repeats + 1):  # repeat 0 warms up (imports, first kernels): not counted
            for name in names:
                run, task = SCENARIOS[name]
                for callbacks in (False, True) if repeat % 2 else (True, False):  # interleaved, order alternating
                    logdir = os.path.join(root, f"{name}-{repeat}-{int(callbacks)}")
                    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                        took, report = run(task, callbacks, logdir, options.epochs)
                    if repeat:
                        times[(name, callbacks)].append(took)
                    if callbacks:
                        reports[name] = report
    print(
        f"{'training':<22}{'wall without':>13}{'with':>7}{'speed':>8}  {'cpu without':>12}{'with':>7}{'speed':>8}"
        f"   (median of {options.repeats}, seconds)"
    )
    for name in names:
        row = []
        for kind in (0, 1):
            base = statistics.median(t[kind] for t in times[(name, False)])
            with_cb = statistics.median(t[kind] for t in times[(name, True)])
            row.append((base, with_cb, base / with_cb))
        (wb, wc, wr), (cb, cc, cr) = row
        verdict = "ok" if min(wr, cr) >= 0.95 else "BELOW 0.95"
        print(f"{name:<22}{wb:>13.2f}{wc:>7.2f}{wr:>7.3f}x  {cb:>12.2f}{cc:>7.2f}{cr:>7.3f}x  {verdict}")
        print(f"    {reports[name]}")


if __name__ == "__main__":
    main()
