"""Hugging Face Trainer support with a real Trainer and a tiny BERT built from a config (no downloads)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

import tb_suite as tbs

PLUGIN = "tbs_predictions"
LABELS = ["low", "mid", "high"]
TRAIN, EVAL, BATCH, LENGTH, VOCAB = 64, 24, 16, 8, 30


class Tokens(Dataset):
    """Token sequences whose label is the band (low / mid / high) of their first token."""

    def __init__(self, count: int, seed: int):
        generator = torch.Generator().manual_seed(seed)
        self.input_ids = torch.randint(1, VOCAB, (count, LENGTH), generator=generator)
        self.labels = (self.input_ids[:, 0] - 1) * len(LABELS) // (VOCAB - 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {
            "input_ids": self.input_ids[i],
            "attention_mask": torch.ones(LENGTH, dtype=torch.long),
            "labels": self.labels[i],
        }


def _model() -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=LENGTH,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    )
    return BertForSequenceClassification(config)


def _args(tmp_path, **kwargs) -> TrainingArguments:
    return TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=2,
        per_device_train_batch_size=BATCH,
        per_device_eval_batch_size=BATCH,
        learning_rate=1e-3,
        eval_strategy="epoch",
        logging_steps=2,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_pin_memory=False,
        **kwargs,
    )


class WeightedTrainer(Trainer):
    """A Trainer subclass with its own loss, as users write them."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        loss = torch.nn.functional.cross_entropy(outputs.logits, labels, weight=torch.tensor([1.0, 2.0, 1.0]))
        return (loss, outputs) if return_outputs else loss


def _accuracy(eval_prediction):
    return {"accuracy": float((eval_prediction.predictions.argmax(-1) == eval_prediction.label_ids).mean())}


def test_eval_predictions_land_in_the_run_of_hf_tensorboard_scalars(tmp_path, monkeypatch, read_run):
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    trainer = WeightedTrainer(
        model=_model(),
        args=_args(tmp_path, report_to=["tensorboard"]),
        train_dataset=Tokens(TRAIN, 0),
        eval_dataset=Tokens(EVAL, 1),
        compute_metrics=_accuracy,
    )
    tensorboard = tbs.transformers.attach(trainer, tbs.transformers.PredictionsCallback())
    trainer.train()
    metrics = trainer.evaluate(metric_key_prefix="test")
    trainer.predict(Tokens(EVAL, 2))  # predictions are not evaluations: nothing logged

    assert "test_accuracy" in metrics  # the user's compute_metrics still runs
    run = read_run(tensorboard.logging_dir)
    assert run.plugin_tags(PLUGIN) == ["eval", "eval/test"]
    assert run.steps("eval") == [4, 8]  # 4 optimizer steps per epoch
    assert run.steps("eval/test") == [8]
    assert {"train/loss", "eval/loss", "eval/accuracy"} <= run.scalar_tags()
    meta, arrays = run.record(PLUGIN, "eval", 8)
    assert int(arrays["confusion"].sum()) == EVAL
    assert meta["class_names"] == LABELS  # from model.config.id2label
    assert [cb for cb in trainer.callback_handler.callbacks if type(cb).__name__ == "TensorBoardCallback"] == [
        tensorboard
    ]


def test_attach_adds_a_tensorboard_callback_and_logs_an_evaluation_without_training(tmp_path, monkeypatch, read_run):
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "tb"))
    trainer = Trainer(model=_model(), args=_args(tmp_path, report_to=[]), eval_dataset=Tokens(EVAL, 1))
    tbs.transformers.attach(trainer)  # every family that fits: predictions (a classifier), attention, layers, landscape
    trainer.evaluate()

    run = read_run(tmp_path / "tb")
    assert run.steps("eval") == [0]
    assert "eval/loss" in run.scalar_tags()
    assert int(run.record(PLUGIN, "eval", 0)[1]["confusion"].sum()) == EVAL


def test_misuse_is_refused_with_a_clear_error(tmp_path):
    args = _args(tmp_path, report_to=[])
    with pytest.raises(TypeError, match="transformers.Trainer"):
        tbs.transformers.attach(object())
    with pytest.raises(ValueError, match="prediction_loss_only"):
        loss_only = _args(tmp_path, report_to=[], prediction_loss_only=True)
        tbs.transformers.attach(Trainer(model=_model(), args=loss_only, eval_dataset=Tokens(EVAL, 1)))
    unattached = Trainer(
        model=_model(), args=args, eval_dataset=Tokens(EVAL, 1), callbacks=[tbs.transformers.PredictionsCallback()]
    )
    with pytest.raises(RuntimeError, match="attach"):
        unattached.evaluate()


def test_single_logit_models_get_sigmoid_scores():
    scores = tbs.transformers._scores(np.array([[-800.0], [0.0], [800.0]], dtype=np.float32))
    np.testing.assert_allclose(scores, [0.0, 0.5, 1.0])
