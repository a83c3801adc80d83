"""The tokens callbacks through the real Hugging Face Trainer and Lightning, on CPU with a tiny GPT-2."""

import glob
import os

import pytest
import torch

from tb_suite.core.reader import read_records
from tb_suite.tokens.metadata import PLUGIN_NAME
from tests.tokens.helpers import WORDS, tiny_lm_and_data, word_tokenizer

pytestmark = pytest.mark.slow


def _only_run(root) -> str:
    (run,) = {os.path.dirname(p) for p in glob.glob(os.path.join(root, "**", "*tfevents*"), recursive=True)}
    return run


def test_hugging_face_trainer_subclass_logs_each_evaluation(tmp_path):
    from transformers import Trainer, TrainingArguments

    import tb_suite.integrations.transformers as tbs_hf

    class MyTrainer(Trainer):  # as SFTTrainer: a subclass
        pass

    model, rows = tiny_lm_and_data()
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=2,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=4,
        eval_strategy="epoch",
        save_strategy="no",
        report_to=["tensorboard"],
        use_cpu=True,
        disable_tqdm=True,
        logging_steps=1,
        dataloader_num_workers=0,
    )
    trainer = MyTrainer(
        model=model, args=args, train_dataset=rows, eval_dataset=rows[:6], processing_class=word_tokenizer()
    )
    tbs_hf.attach(trainer, tbs_hf.TokenPredictionsCallback(num_sequences=3, k=4))
    trainer.train()
    records = read_records(_only_run(tmp_path / "out"), PLUGIN_NAME)["tokens"]
    assert sorted(records) == [2, 4]  # 16 sequences / 8 per step: evaluations at steps 2 and 4
    meta, arrays = records[4]
    assert (meta["batch"], meta["length"], meta["k"]) == (3, 8, 4)
    vocab = dict(zip(arrays["vocab_ids"].tolist(), meta["vocab"]))
    assert [vocab[i] for i in arrays["input_ids"][0][:7]] == [WORDS[i] for i in rows[0]["input_ids"][:7]]
    assert arrays["mask"][:, 7].tolist() == [0, 0, 0] and meta["num_targets"] == 3 * 6
    assert meta["special_ids"] and set(meta["special_ids"]) <= {0, 1, 2}
    # The callback's loss is the model's own loss on the same sequences.
    batch = {key: torch.stack([r[key] for r in rows[:3]]) for key in rows[0]}
    model.eval()
    with torch.no_grad():
        expected = model(**batch).loss.item()
    assert meta["loss"] == pytest.approx(expected, rel=1e-4)


def test_lightning_validation_logs_probes_and_first_batch(tmp_path):
    import lightning as L

    import tb_suite.integrations.lightning as tbs_pl
    from tests.integrations.tiny import lightning_trainer

    model, rows = tiny_lm_and_data()
    tokenizer = word_tokenizer()

    class LM(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = model

        def training_step(self, batch, batch_idx):
            return self.model(**batch).loss

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", self.model(**batch).loss)

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-2)

    loader = lambda data: torch.utils.data.DataLoader(data, batch_size=4)  # noqa: E731
    trainer = lightning_trainer(
        tmp_path,
        [
            tbs_pl.TokenPredictionsCallback(
                ["the cat sat on the mat", "a dog"], tokenizer=tokenizer, model_attr="model", k=3
            ),
            tbs_pl.TokenPredictionsCallback(tag="val_batch", num_sequences=2, k=5, model_attr="model"),
        ],
        name="lm",
        num_sanity_val_steps=2,
    )
    trainer.fit(LM(), loader(rows), loader(rows[:4]))
    records = read_records(trainer.logger.log_dir, PLUGIN_NAME)
    assert sorted(records["tokens"]) == sorted(records["val_batch"]) == [4, 8]  # after each epoch of 4 steps
    meta, arrays = records["tokens"][8]
    assert (meta["batch"], meta["length"], meta["k"]) == (2, 6, 3)
    assert arrays["mask"][1].tolist() == [1, 1, 0, 0, 0, 0]  # "a dog" padded
    vocab = dict(zip(arrays["vocab_ids"].tolist(), meta["vocab"]))
    assert [vocab[i] for i in arrays["input_ids"][0]] == "the cat sat on the mat".split()
    meta, arrays = records["val_batch"][4]
    assert "vocab" not in meta and arrays["input_ids"].tolist() == [r["input_ids"].tolist() for r in rows[:2]]
    assert records["val_batch"][8][0]["loss"] < records["val_batch"][4][0]["loss"]  # it learns
