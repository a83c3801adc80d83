"""Tiny models built from configs (no downloads), their data, and trainers, for the integration tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from tests.tokens.helpers import WORDS, tiny_lm_and_data, word_tokenizer  # noqa: F401  (re-exported)

VOCAB, LENGTH, LABELS = len(WORDS), 8, ["low", "high"]


def bert_classifier():
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    return BertForSequenceClassification(
        BertConfig(
            vocab_size=VOCAB,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=LENGTH,
            num_labels=2,
            pad_token_id=0,
            id2label=dict(enumerate(LABELS)),
            label2id={name: i for i, name in enumerate(LABELS)},
        )
    )


def bert_mlm():
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
            pad_token_id=0,
        )
    )


class Sentences(Dataset):
    """Word-id sequences (some padded) labelled by whether they contain "dog"."""

    def __init__(self, count: int, seed: int = 0, labels: str = "class"):
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(3, VOCAB, (count, LENGTH), generator=generator)
        lengths = torch.randint(4, LENGTH + 1, (count,), generator=generator)
        self.mask = (torch.arange(LENGTH) < lengths[:, None]).long()
        self.ids = self.ids * self.mask  # pad id 0
        self.cls = (self.ids == WORDS.index("dog")).any(1).long()
        self.labels = labels

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        labels = self.cls[i] if self.labels == "class" else self.ids[i].masked_fill(self.mask[i] == 0, -100)
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i], "labels": labels}


def loader(dataset, batch_size: int = 8, shuffle: bool = False) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)


class Encoder(nn.Module):
    """A tiny PyTorch transformer encoder over word ids (nn.MultiheadAttention inside)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(VOCAB, 16)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 1)
        self.head = nn.Linear(16, VOCAB)

    def forward(self, input_ids):  # no attention_mask: the model of issue 13 item 2
        return self.head(self.encoder(self.embed(input_ids)))


def shapes(count: int, seed: int) -> TensorDataset:
    """3-class 6x6 images in [0, 1]: class k lights up pixel (k, k)."""
    generator = torch.Generator().manual_seed(seed)
    targets = torch.arange(count) % 3
    images = torch.rand(count, 1, 6, 6, generator=generator) * 0.3
    images[torch.arange(count), 0, targets, targets] = 1.0
    return TensorDataset(images, targets)


def lightning_module(net: nn.Module, *, training_loss, validation_step=None, lr: float = 1e-2):
    """A LightningModule around `net`: `training_loss(module, batch)`, and an optional validation_step."""
    import lightning as L

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, *args, **kwargs):
            return self.net(*args, **kwargs)

        def training_step(self, batch, batch_idx):
            loss = training_loss(self, batch)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=lr)

    if validation_step is not None:
        Module.validation_step = validation_step
    return Module()


def lightning_trainer(tmp_path, callbacks, *, name="exp", **kwargs):
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger

    options = dict(
        max_epochs=2,
        accelerator="cpu",
        devices=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        num_sanity_val_steps=0,
    )
    options.update(kwargs)
    return L.Trainer(logger=TensorBoardLogger(str(tmp_path), name=name), callbacks=callbacks, **options)


def hf_args(tmp_path, **kwargs):
    from transformers import TrainingArguments

    options = dict(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=2,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=8,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_pin_memory=False,
        report_to=["tensorboard"],
    )
    options.update(kwargs)
    return TrainingArguments(**options)


def ce(module, batch):
    x, y = batch
    return F.cross_entropy(module(x), y)
