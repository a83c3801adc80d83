"""Helpers of the tokens tests: run directories, a word-level tokenizer, a tiny language model and its runs."""

from __future__ import annotations

import os


def run_dirs(logdir) -> list[str]:
    """Directories under `logdir` holding event files."""
    return sorted({root for root, _, files in os.walk(logdir) if any("tfevents" in f for f in files)})


WORDS = ["<pad>", "<eos>", "<unk>", "the", "cat", "dog", "sat", "ran", "on", "mat", "rug", "a", "\n"]


def word_tokenizer():
    """A word-level Hugging Face tokenizer built from `WORDS` (no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {word: i for i, word in enumerate(WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def write_lm_run(run_dir, steps, *, batch: int = 2, length: int = 6, seed: int = 0, tag: str = "lm") -> None:
    """Logs word-level predictions that sharpen with the step (target logit + step) for each of `steps`."""
    import torch

    import tb_suite as tbs

    generator = torch.Generator().manual_seed(seed)
    tokenizer = word_tokenizer()
    ids = torch.randint(3, len(WORDS), (batch, length), generator=generator)
    with tbs.Writer(str(run_dir)) as writer:
        for i, step in enumerate(steps):
            logits = torch.randn(batch, length, len(WORDS), generator=generator)
            logits[:, :-1].scatter_add_(2, ids[:, 1:, None], torch.full((batch, length - 1, 1), 2.0 * i))
            tbs.log_token_predictions(writer, tag, logits, ids, step=step, tokenizer=tokenizer, k=5)


def tiny_lm_and_data(count: int = 16, length: int = 8, seed: int = 0):
    """A 1-layer GPT-2 over `WORDS` (built from a config, no download) and `count` generated sentences as
    dicts of `input_ids`, `attention_mask`, `labels` (tensors of `length`)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(WORDS),
        n_positions=length,
        n_embd=16,
        n_layer=1,
        n_head=2,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=0,
    )
    model = GPT2LMHeadModel(config)
    generator = torch.Generator().manual_seed(seed)
    subjects, verbs, places = [4, 5], [6, 7], [9, 10]
    rows = []
    for _ in range(count):
        pick = lambda options: options[int(torch.randint(len(options), (1,), generator=generator))]  # noqa: E731
        ids = torch.tensor([3, pick(subjects), pick(verbs), 8, 3, pick(places), 1, 0][:length])
        mask = (torch.arange(length) < 7).long()
        rows.append({"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)})
    return model, rows
