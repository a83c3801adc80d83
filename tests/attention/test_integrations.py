"""The attention callbacks with real Lightning and Hugging Face trainers on CPU (tiny models, no downloads)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .helpers import stored_records

VOCAB, LENGTH = 30, 8


def _bert_mlm():
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    return BertForMaskedLM(
        BertConfig(
            vocab_size=VOCAB,
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=LENGTH,
        )
    )


def _probe():
    ids = torch.randint(1, VOCAB, (2, LENGTH), generator=torch.Generator().manual_seed(1))
    mask = torch.ones(2, LENGTH, dtype=torch.long)
    mask[1, 5:] = 0
    return {"input_ids": ids, "attention_mask": mask, "labels": ids}


class _Tokens(Dataset):
    def __init__(self, count=32):
        self.ids = torch.randint(1, VOCAB, (count, LENGTH), generator=torch.Generator().manual_seed(0))

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(LENGTH, dtype=torch.long), "labels": self.ids[i]}


def test_hugging_face_trainer_callback_logs_into_the_trainers_run(tmp_path):
    from transformers import Trainer, TrainingArguments

    import tb_suite as tbs

    model = _bert_mlm()
    assert model.config._attn_implementation == "sdpa"
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=4,
        per_device_train_batch_size=8,
        logging_steps=1,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        report_to=["tensorboard"],
        dataloader_pin_memory=False,
    )
    trainer = Trainer(model, args, train_dataset=_Tokens())
    callback = tbs.transformers.AttentionCallback(
        _probe(), every_n_steps=2, importance=True, tokens=[[f"w{i}" for i in range(LENGTH)]] * 2
    )
    tensorboard = tbs.transformers.attach(trainer, callback)
    trainer.train()
    run_dir = tensorboard.tb_writer.log_dir if tensorboard.tb_writer else tensorboard.logging_dir
    from tb_suite.core.writer import as_writer

    as_writer(run_dir).flush()
    records = stored_records(run_dir, "attention")
    assert sorted(records) == [1, 2, 4]
    meta, arrays = records[4]
    assert (meta["layers"], meta["heads"], meta["examples"]) == (2, 2, 2)
    assert arrays["attn.1"].shape == (2, 2, 5, 5)  # padding cut away
    assert meta["query_tokens"][1] == [f"w{i}" for i in range(5)]
    stats = stored_records(run_dir, "attention/heads")
    assert sorted(stats) == [1, 2, 4]
    assert stats[4][1]["entropy"].shape == (2, 2) and np.all(stats[4][1]["importance"] >= 0)
    assert model.config._attn_implementation == "sdpa"  # switched back after each probe


class _Encoder(nn.Module):
    """A tiny PyTorch transformer encoder (nn.MultiheadAttention inside nn.TransformerEncoderLayer)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 2)
        self.head = nn.Linear(16, VOCAB)

    def forward(self, ids):
        return self.head(self.encoder(self.embed(ids)))


def test_lightning_callback_with_a_multihead_attention_model(tmp_path):
    import lightning as L

    import tb_suite as tbs
    from tests.integrations.tiny import lightning_trainer

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = _Encoder()

        def training_step(self, batch, batch_idx):
            (ids,) = batch
            return nn.functional.cross_entropy(self.net(ids).flatten(0, 1), ids.flatten())

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3)

    torch.manual_seed(0)
    data = DataLoader(TensorDataset(torch.randint(0, VOCAB, (24, LENGTH))), batch_size=4)
    probe = torch.randint(0, VOCAB, (1, LENGTH), generator=torch.Generator().manual_seed(2))
    callback = tbs.lightning.AttentionCallback(
        probe, tokens=[[f"p{i}" for i in range(LENGTH)]], every_n_steps=3, tag="enc", model_attr="net"
    )
    trainer = lightning_trainer(tmp_path, [callback], name="lit", max_epochs=None, max_steps=6)
    trainer.fit(Module(), data)
    logger = trainer.logger
    from tb_suite.core.writer import as_writer

    as_writer(logger.log_dir).flush()
    records = stored_records(logger.log_dir, "enc")
    assert sorted(records) == [1, 3, 6]
    meta, arrays = records[6]
    assert (meta["layers"], meta["heads"]) == (2, 4) and arrays["attn.0"].shape == (2, 4, LENGTH, LENGTH)
    np.testing.assert_allclose(arrays["attn.0"].sum(-1), 1, atol=0.02)
    assert sorted(stored_records(logger.log_dir, "enc/heads")) == [1, 3, 6]
