"""Issue 13 with real Lightning trainers on tiny models: attention probes from id tensors (item 1), token
probes of modules whose forward takes no mask (2), the Hugging Face model found inside a LightningModule
(3), predictions from the usual validation_step patterns (4), one-line presets (6)."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.core.writer import as_writer
from tests.integrations import tiny

pytestmark = pytest.mark.slow


def _records(run_dir, plugin):
    as_writer(run_dir).flush()
    return read_records(run_dir, plugin)


def _ids_loader():
    data = tiny.Sentences(16)
    return tiny.loader(torch.utils.data.TensorDataset(data.ids), batch_size=8)


def _lm_loss(module, batch):
    (ids,) = batch
    return F.cross_entropy(module(ids)[:, :-1].flatten(0, 1), ids[:, 1:].flatten())


def test_attention_from_an_id_tensor_and_tokenizer_names_tokens_and_cuts_padding(tmp_path):
    tokenizer = tiny.word_tokenizer()
    probe = tokenizer(["the cat sat on the mat", "a dog"], padding=True, return_tensors="pt")["input_ids"]
    short = torch.tensor([[3, 4, 6, 0, 0]])
    callbacks = [
        tbs.lightning.AttentionCallback(probe, tokenizer=tokenizer, every_n_steps=2),
        tbs.lightning.AttentionCallback(short, tokens=[["the", "cat", "sat"]], every_n_steps=2, tag="short"),
    ]
    module = tiny.lightning_module(tiny.Encoder(), training_loss=_lm_loss)
    trainer = tiny.lightning_trainer(tmp_path, callbacks, max_steps=2)
    trainer.fit(module, _ids_loader())

    records = _records(trainer.logger.log_dir, "tbs_attention")
    meta, arrays = records["attention"][2]
    assert meta["query_tokens"] == [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog"]]
    assert arrays["attn.1"].shape[-2:] == (2, 2)  # "a dog": its four pads cut away
    attention = module.net.encoder.layers[0].self_attn.eval()  # oracle: the layer's own weights on the probe
    with torch.no_grad():
        x = module.net.embed(probe)
        _, weights = attention(x, x, x, need_weights=True, average_attn_weights=False)
    np.testing.assert_allclose(arrays["attn.0"][0], weights[0].numpy(), atol=1 / 255 + 1e-6)  # [layer 0]
    short_meta, short_arrays = records["short"][2]
    assert short_meta["query_tokens"] == [["the", "cat", "sat"]] and short_arrays["attn.0"].shape[-1] == 3


def test_token_predictions_call_a_forward_without_attention_mask(tmp_path):
    tokenizer = tiny.word_tokenizer()

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", _lm_loss(self, batch))

    module = tiny.lightning_module(tiny.Encoder(), training_loss=_lm_loss, validation_step=validation_step)
    texts = ["the cat sat on the mat", "a dog ran"]
    callback = tbs.lightning.TokenPredictionsCallback(texts, tokenizer=tokenizer, k=3)
    trainer = tiny.lightning_trainer(tmp_path, [callback], max_epochs=1)
    trainer.fit(module, _ids_loader(), _ids_loader())

    meta, arrays = _records(trainer.logger.log_dir, "tbs_tokens")["tokens"][2]
    assert arrays["mask"][1].tolist() == [1, 1, 1, 0, 0, 0]
    # oracle: next-token loss over the real tokens, in float64 from the module's own logits
    encoded = tokenizer(texts, padding=True, return_tensors="pt")
    module.eval()
    with torch.no_grad():
        logits = module(encoded["input_ids"]).double()
    logp = torch.log_softmax(logits[:, :-1], -1).gather(-1, encoded["input_ids"][:, 1:, None])[..., 0]
    keep = encoded["attention_mask"][:, 1:].bool()
    assert meta["loss"] == pytest.approx(float(-logp[keep].mean()), rel=1e-4)


@pytest.mark.parametrize("attribute", ["model", "my_encoder"])
def test_the_hugging_face_model_inside_a_lightning_module_is_found_and_named(tmp_path, caplog, attribute):
    import lightning as L

    tokenizer = tiny.word_tokenizer()

    class Wrapper(L.LightningModule):
        def __init__(self):
            super().__init__()
            setattr(self, attribute, tiny.bert_mlm())

        def training_step(self, batch, batch_idx):
            return getattr(self, attribute)(**batch).loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3)

    probe = tokenizer(["the cat sat on the mat", "a dog"], padding=True, return_tensors="pt")
    callback = tbs.lightning.AttentionCallback(probe, tokenizer=tokenizer, every_n_steps=50)  # the README's line
    trainer = tiny.lightning_trainer(tmp_path, [callback], max_steps=2)
    with caplog.at_level(logging.INFO, logger="tb_suite"):
        trainer.fit(Wrapper(), tiny.loader(tiny.Sentences(16, labels="lm")))

    assert f"probing .{attribute} (BertForMaskedLM, the Hugging Face model found)" in caplog.text
    meta, arrays = _records(trainer.logger.log_dir, "tbs_attention")["attention"][1]
    assert (meta["layers"], meta["heads"]) == (2, 2) and meta["query_tokens"][1] == ["a", "dog"]


class _Classifier:
    """validation_step patterns of issue 13 item 4 (each returns no `scores` / `targets` keys)."""

    @staticmethod
    def loss_only(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("val_loss", loss)
        return loss

    @staticmethod
    def logits_dict(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        return {"loss": F.cross_entropy(logits, y), "logits": logits, "y": y}

    @staticmethod
    def logits_only(self, batch, batch_idx):
        return self(batch[0])

    @staticmethod
    def logits_and_targets(self, batch, batch_idx):
        x, y = batch
        return self(x), y


@pytest.mark.parametrize("pattern", ["loss_only", "logits_dict", "logits_only", "logits_and_targets"])
def test_predictions_from_the_usual_validation_step_patterns(tmp_path, pattern):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(36, 3))
    module = tiny.lightning_module(net, training_loss=tiny.ce, validation_step=getattr(_Classifier, pattern), lr=0.1)
    trainer = tiny.lightning_trainer(tmp_path, [tbs.lightning.PredictionsCallback(log_images=True)], max_epochs=1)
    train, val = tiny.shapes(48, 0), tiny.shapes(20, 1)
    trainer.fit(module, tiny.loader(train, 16), tiny.loader(val, 16))

    meta, arrays = _records(trainer.logger.log_dir, "tbs_predictions")["val"][3]
    images, targets = val.tensors
    with torch.no_grad():
        predicted = module.eval()(images).argmax(-1).numpy()
    expected = np.zeros((3, 3), np.int64)
    np.add.at(expected, (targets.numpy(), predicted), 1)  # oracle: rows = true class
    np.testing.assert_array_equal(arrays["confusion"], expected)
    assert meta["has_images"]


def _tags(run_dir):
    from tests.integrations.conftest import Run

    run = Run(run_dir)
    return {
        name: run.plugin_tags(name)
        for name in ("tbs_predictions", "tbs_attention", "tbs_tokens", "tbs_landscape", "tbs_layers")
    }


def test_callbacks_preset_for_a_wrapped_bert_classifier(tmp_path, caplog):
    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.net(**batch).loss)  # returns nothing: predictions run the model

    module = tiny.lightning_module(
        tiny.bert_classifier(), training_loss=lambda m, b: m.net(**b).loss, validation_step=validation_step
    )
    with caplog.at_level(logging.INFO, logger="tb_suite"):
        presets = tbs.lightning.callbacks(module, tokenizer=tiny.word_tokenizer())
        trainer = tiny.lightning_trainer(tmp_path, presets, max_epochs=1)
        trainer.fit(module, tiny.loader(tiny.Sentences(16)), tiny.loader(tiny.Sentences(8, 1)))

    names = {type(c).__name__ for c in presets}
    assert {"PredictionsCallback", "AttentionCallback", "LandscapeCallback"} <= names
    assert "TokenPredictionsCallback" not in names
    assert "+ PredictionsCallback: BertForSequenceClassification is a classifier" in caplog.text
    assert "- TokenPredictionsCallback: BertForSequenceClassification is not a causal language model" in caplog.text
    assert "tb-suite callbacks took" in caplog.text  # the budget's figure at the end of training
    # a grid-21 plane (441 evaluations) is due once; on a 2-step run it rarely fits the default budget:
    # logged or skipped, the report says which
    tags = _tags(trainer.logger.log_dir)
    skipped = re.search(r"LandscapeCallback\('landscape'\): 0 runs [\d.]+ s, 1 skipped over budget", caplog.text)
    assert skipped or "LandscapeCallback('landscape'): 1 run " in caplog.text
    assert tags["tbs_predictions"] == ["val"] and tags["tbs_landscape"] == ([] if skipped else ["landscape/plane"])
    assert tags["tbs_layers"] == ["layers"] and "+ LayerMonitorCallback: every model has layers" in caplog.text
    assert "attention" in tags["tbs_attention"]


def test_callbacks_preset_for_a_plain_classifier_and_a_causal_lm(tmp_path, caplog):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(36, 3))
    module = tiny.lightning_module(net, training_loss=tiny.ce, validation_step=_Classifier.loss_only)
    with caplog.at_level(logging.INFO, logger="tb_suite"):
        presets = tbs.lightning.callbacks(module, loss_fn=F.cross_entropy)
    names = {type(c).__name__ for c in presets}
    assert {"PredictionsCallback", "LandscapeCallback"} <= names and "AttentionCallback" not in names
    assert "- AttentionCallback: Module has no attention weights" in caplog.text
    assert "LandscapeCallback" not in {type(c).__name__ for c in tbs.lightning.callbacks(module)}  # no loss_fn

    model, rows = tiny.tiny_lm_and_data()

    def lm_validation(self, batch, batch_idx):
        self.log("val_loss", self.net(**batch).loss)

    lm = tiny.lightning_module(model, training_loss=lambda m, b: m.net(**b).loss, validation_step=lm_validation)
    presets = tbs.lightning.callbacks(lm, tokenizer=tiny.word_tokenizer(), budget=None)  # no limit: all run
    assert {"TokenPredictionsCallback", "AttentionCallback", "LandscapeCallback"} <= {type(c).__name__ for c in presets}
    assert "PredictionsCallback" not in {type(c).__name__ for c in presets}
    trainer = tiny.lightning_trainer(tmp_path, presets, max_epochs=1, name="lm")
    trainer.fit(lm, tiny.loader(rows), tiny.loader(rows[:4], 4))
    tags = _tags(trainer.logger.log_dir)
    assert tags["tbs_tokens"] == ["tokens"] and tags["tbs_landscape"] == ["landscape/plane"]
    assert "attention" in tags["tbs_attention"]
