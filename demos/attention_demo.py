"""Attention demo: a tiny GPT-2 (built from a config) learns a generated language with agreement and
copying, while its attention and head statistics are logged across training.

One run, `<logdir>/attention/gpt2`: tag `probe` holds the attention of three probe sentences (one padded)
every 10 steps, `probe/heads` their head entropy and gradient importance, `pruning` the loss with the
two least important heads masked at the end, next to the training loss scalar.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import torch

import tb_suite as tbs
from tb_suite.attention import evaluate_head_mask
from tb_suite.attention.probe import AttentionProbe

SUBJECTS = {
    "the cat": "sleeps",
    "the cats": "sleep",
    "a dog": "runs",
    "two dogs": "run",
    "my bird": "sings",
    "birds": "sing",
}
PLACES = ["on the mat", "in the park", "near the tree", "under the bed"]
STEPS, EVERY, BATCH, LENGTH = 120, 10, 32, 16


def vocabulary() -> list[str]:
    words = {"<pad>", "and", "again", "."}
    for subject, verb in SUBJECTS.items():
        words.update(subject.split() + [verb])
    for place in PLACES:
        words.update(place.split())
    return sorted(words)


def sentence(rng: np.random.Generator) -> list[str]:
    """ "<subject> <verb> <place> and <subject> <verb> again ." : the verb agrees, the subject is copied."""
    subject = list(SUBJECTS)[rng.integers(len(SUBJECTS))]
    place = PLACES[rng.integers(len(PLACES))]
    words = f"{subject} {SUBJECTS[subject]} {place} and {subject} {SUBJECTS[subject]} again .".split()
    return words


def encode(sentences: list[list[str]], index: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.zeros(len(sentences), LENGTH, dtype=torch.long)
    mask = torch.zeros(len(sentences), LENGTH, dtype=torch.long)
    for i, words in enumerate(sentences):
        ids[i, : len(words)] = torch.tensor([index[w] for w in words[:LENGTH]])
        mask[i, : len(words)] = 1
    return ids, mask


def run(logdir: str) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    words = vocabulary()
    index = {w: i for i, w in enumerate(words)}
    config = GPT2Config(
        vocab_size=len(words),
        n_positions=LENGTH,
        n_embd=48,
        n_layer=3,
        n_head=4,
        bos_token_id=index["."],
        eos_token_id=index["."],
        pad_token_id=index["<pad>"],
    )
    model = GPT2LMHeadModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)

    probe_sentences = [sentence(rng) for _ in range(3)]
    probe_sentences[2] = probe_sentences[2][:9]  # a shorter one: its padding is cut away in the tab
    ids, mask = encode(probe_sentences, index)
    labels = ids.masked_fill(mask == 0, -100)
    probe = AttentionProbe(
        {"input_ids": ids, "attention_mask": mask, "labels": labels},
        tag="probe",
        tokens=[s + ["<pad>"] * (LENGTH - len(s)) for s in probe_sentences],
        importance=True,
    )

    with tbs.Writer(os.path.join(logdir, "attention", "gpt2")) as writer:
        for step in range(STEPS + 1):
            if step % EVERY == 0:
                probe.log(model, writer, step)
            if step == STEPS:
                break
            batch_ids, batch_mask = encode([sentence(rng) for _ in range(BATCH)], index)
            loss = model(
                input_ids=batch_ids, attention_mask=batch_mask, labels=batch_ids.masked_fill(batch_mask == 0, -100)
            ).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            writer.write_scalar("train/loss", loss.item(), step)
        importance = tbs.attention.head_importance(
            model, [{"input_ids": ids, "attention_mask": mask, "labels": labels}]
        )
        weakest = torch.topk(importance.flatten(), 2, largest=False).indices
        heads = torch.zeros_like(importance, dtype=torch.bool).flatten()
        heads[weakest] = True
        val_ids, val_mask = encode([sentence(rng) for _ in range(64)], index)
        val = [{"input_ids": val_ids, "attention_mask": val_mask, "labels": val_ids.masked_fill(val_mask == 0, -100)}]
        evaluate_head_mask(writer, "pruning", model, val, heads.view_as(importance), step=STEPS)
