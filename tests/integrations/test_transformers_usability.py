"""Issue 13 with real Hugging Face Trainers on tiny models (built from configs): `attach(trainer)` adds
every family that fits (item 6), `every_n_steps` / `every_n_epochs` mean the same as under Lightning (7),
and the time budget's figure ends the training log (5)."""

from __future__ import annotations

import logging

import pytest
from transformers import Trainer

import tb_suite as tbs
from tests.integrations import tiny
from tests.integrations.conftest import Run

pytestmark = pytest.mark.slow
FAMILIES = ("tbs_predictions", "tbs_attention", "tbs_tokens", "tbs_landscape", "tbs_layers")


def _tags(tensorboard):
    from tb_suite.core.writer import as_writer

    run_dir = tensorboard.tb_writer.log_dir if tensorboard.tb_writer else tensorboard.logging_dir
    as_writer(run_dir).flush()
    run = Run(run_dir)
    return run, {name: run.plugin_tags(name) for name in FAMILIES}


def test_attach_alone_adds_what_fits_a_bert_classifier(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    trainer = Trainer(
        model=tiny.bert_classifier(),
        args=tiny.hf_args(tmp_path, eval_strategy="epoch", num_train_epochs=1),
        train_dataset=tiny.Sentences(16),
        eval_dataset=tiny.Sentences(8, 1),
    )
    with caplog.at_level(logging.INFO, logger="tb_suite"):
        tensorboard = tbs.transformers.attach(trainer, budget=None)  # no limit: every callback runs
        trainer.train()

    names = {type(cb).__name__ for cb in trainer.callback_handler.callbacks}
    assert {"PredictionsCallback", "AttentionCallback", "LandscapeCallback"} <= names
    assert "TokenPredictionsCallback" not in names
    assert "+ PredictionsCallback: BertForSequenceClassification is a classifier" in caplog.text
    assert "- TokenPredictionsCallback: BertForSequenceClassification is not a causal language model" in caplog.text
    assert "tb-suite callbacks took" in caplog.text and "(no limit)" in caplog.text
    run, tags = _tags(tensorboard)
    assert tags["tbs_predictions"] == ["eval"] and tags["tbs_landscape"] == ["landscape/plane"]
    assert tags["tbs_tokens"] == [] and "attention" in tags["tbs_attention"]
    assert tags["tbs_layers"] == ["layers"] and "+ LayerMonitorCallback: every model has layers" in caplog.text
    assert run.steps("eval") == [2] and run.steps("landscape/plane") == [2] and run.steps("attention") == [1]
    assert not {"eval/accuracy", "eval/macro_auc"} & run.scalar_tags()  # item 8: no quiet extra scalars


def test_attach_alone_adds_tokens_for_a_causal_lm(tmp_path, monkeypatch):
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    model, rows = tiny.tiny_lm_and_data()
    trainer = Trainer(
        model=model,
        args=tiny.hf_args(tmp_path, eval_strategy="epoch", num_train_epochs=1),
        train_dataset=rows,
        eval_dataset=rows[:4],
        processing_class=tiny.word_tokenizer(),
    )
    tensorboard = tbs.transformers.attach(trainer, budget=None)
    trainer.train()
    names = {type(cb).__name__ for cb in trainer.callback_handler.callbacks}
    assert {"TokenPredictionsCallback", "AttentionCallback", "LandscapeCallback"} <= names
    assert "PredictionsCallback" not in names
    _, tags = _tags(tensorboard)
    assert tags["tbs_tokens"] == ["tokens"] and tags["tbs_landscape"] == ["landscape/plane"]


def test_every_n_arguments_mean_the_same_under_lightning_and_hugging_face(tmp_path, monkeypatch):
    """16 samples, batches of 8, 2 epochs: 2 optimizer steps per epoch under both frameworks."""
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    tokenizer = tiny.word_tokenizer()
    probe = tokenizer(["the cat sat", "a dog"], padding=True, return_tensors="pt")

    def make(framework):
        return [
            framework.LandscapeCallback(grid=3, budget=False, tag="by_epoch"),  # default: every_n_epochs=1
            framework.LandscapeCallback(every_n_steps=3, grid=3, budget=False, tag="by_step"),
            framework.AttentionCallback(probe, every_n_epochs=2, tokenizer=tokenizer, budget=False, tag="attn_epoch"),
            framework.AttentionCallback(probe, every_n_steps=2, tokenizer=tokenizer, budget=False, tag="attn_step"),
        ]

    trainer = Trainer(model=tiny.bert_mlm(), args=tiny.hf_args(tmp_path), train_dataset=tiny.Sentences(16, labels="lm"))
    tensorboard = tbs.transformers.attach(trainer, *make(tbs.transformers))
    trainer.train()
    run_hf, _ = _tags(tensorboard)

    def training_loss(module, batch):
        return module.net(**batch).loss

    module = tiny.lightning_module(tiny.bert_mlm(), training_loss=training_loss)
    pl_trainer = tiny.lightning_trainer(tmp_path, make(tbs.lightning), name="pl")
    pl_trainer.fit(module, tiny.loader(tiny.Sentences(16, labels="lm")))
    run_pl = Run(pl_trainer.logger.log_dir)

    expected = {"by_epoch/plane": [2, 4], "by_step/plane": [3], "attn_epoch": [4], "attn_step": [1, 2, 4]}
    for tag, steps in expected.items():
        assert run_hf.steps(tag) == run_pl.steps(tag) == steps, tag
    for framework in (tbs.lightning, tbs.transformers):
        with pytest.raises(ValueError, match="every_n_steps or every_n_epochs"):
            framework.LandscapeCallback(every_n_steps=2, every_n_epochs=1)
        with pytest.raises(ValueError, match="every_n_epochs"):
            framework.AttentionCallback(probe, every_n_epochs=0)


def test_default_budget_keeps_an_expensive_landscape_within_its_share(tmp_path, monkeypatch, caplog):
    """A plane every step costs far more than a training step: the shared budget logs it only as often
    as its share allows, and the report's figure is the callbacks' own measurement."""
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    from tb_suite.core.budget import Budget

    budget = Budget(0.5, floor_s=0.0)
    callback = tbs.transformers.LandscapeCallback(every_n_steps=1, grid=3, budget=budget)  # 9 evaluations
    trainer = Trainer(
        model=tiny.bert_classifier(),
        args=tiny.hf_args(tmp_path, max_steps=30, num_train_epochs=-1),
        train_dataset=tiny.Sentences(64),
    )
    tensorboard = tbs.transformers.attach(trainer, callback)
    with caplog.at_level(logging.INFO, logger="tb_suite"):
        trainer.train()
    run, _ = _tags(tensorboard)
    logged = run.steps("landscape/plane")
    assert 0 < len(logged) < 30  # some, not every due step
    assert f"{100 * budget.spent() / budget.elapsed():.1f}% of" in caplog.text
    # within its share, give or take one run (each is admitted on the previous one's cost)
    one_run = max(budget._accounts[callback.budget_key].last, callback._estimate)
    assert budget.spent() <= 0.5 * budget.elapsed() + 2 * one_run
