"""Tokens demo: two tiny GPT-2 language models learn a toy grammar; their token predictions are logged per epoch.

Runs `<logdir>/tokens/narrow` and `<logdir>/tokens/wide` (embedding width 16 vs 48), trained by a plain torch
loop on generated sentences ("the cat sat on the mat .", counting "one two three ...", newlines), with a word-level
Hugging Face tokenizer built here (no download). After each epoch, `tbs.log_token_predictions` logs four fixed
probe sequences (tag `probes`) and the training loss goes to the Scalars tab. In the Tokens tab, step through
the epochs and watch the grammar's predictable positions turn confident while the subject nouns stay uncertain.
"""

from __future__ import annotations

import os

import torch

import tb_suite as tbs

SUBJECTS = ["cat", "dog", "bird", "fox"]
VERBS = ["sat", "ran", "slept", "jumped"]
PLACES = ["mat", "rug", "box", "bed"]
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven"]
WORDS = ["<pad>", "<eos>", "<unk>", "the", "a", "on", "in", ".", "\n", *SUBJECTS, *VERBS, *PLACES, *NUMBERS]
LENGTH = 16
PROBES = [
    "the cat sat on the mat . the dog ran in the box .",
    "one two three four five six seven \n the fox slept",
    "a bird jumped on a bed . \n one two three",
    "the dog sat in the rug .",
]


def tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    model = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    model.pre_tokenizer = pre_tokenizers.Split(" ", behavior="removed")
    return PreTrainedTokenizerFast(tokenizer_object=model, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def sentences(count: int, generator: torch.Generator) -> list[str]:
    def pick(options):
        return options[int(torch.randint(len(options), (1,), generator=generator))]

    out = []
    for _ in range(count):
        parts = []
        while len(" ".join(parts).split()) < LENGTH:
            if torch.rand(1, generator=generator) < 0.3:
                start = int(torch.randint(3, (1,), generator=generator))
                parts.append(" ".join(NUMBERS[start : start + 4]) + " \n")
            else:
                parts.append(
                    f"{pick(['the', 'a'])} {pick(SUBJECTS)} {pick(VERBS)} {pick(['on', 'in'])} the {pick(PLACES)} ."
                )
        out.append(" ".join(" ".join(parts).split()[:LENGTH]))
    return out


def train(run_dir: str, width: int, tok, data: torch.Tensor, probes: dict, epochs: int = 6) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(WORDS),
        n_positions=LENGTH,
        n_embd=width,
        n_layer=1,
        n_head=2,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=0,
    )
    model = GPT2LMHeadModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    step = 0
    with tbs.Writer(run_dir) as writer:
        for _ in range(epochs):
            model.train()
            for batch in data[torch.randperm(len(data))].split(32):
                loss = model(input_ids=batch, labels=batch).loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                writer.write_scalar("train/loss", loss.item(), step)
            model.eval()
            with torch.no_grad():
                logits = model(**probes).logits
            tbs.log_token_predictions(
                writer,
                "probes",
                logits,
                probes["input_ids"],
                step=step,
                tokenizer=tok,
                k=10,
                attention_mask=probes["attention_mask"],
            )


def run(logdir: str) -> None:
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    tok = tokenizer()
    generator = torch.Generator().manual_seed(0)
    data = tok(sentences(256, generator), return_tensors="pt")["input_ids"]
    probes = dict(tok(PROBES, return_tensors="pt", padding=True))
    for name, width in (("narrow", 16), ("wide", 48)):
        train(os.path.join(logdir, "tokens", name), width, tok, data, probes)
