"""Import of Sequence Training Visualizer JSONL files (one training step per line) as tbs_tokens runs.

Each line holds `{"step", "loss"?, "sequences": [{"tokens": [str], "predictions": [{"position",
"target_token_id"?, "target_token_str"?, "entropy"?, "top_20" | "top_k": [{"token_id", "token_str" |
"token", "probability" | "prob"}]}]}], "metadata"?: {"vocab_size"?}}`. Every line of every file is
validated before anything is written; an error names the file, line and field.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tb_suite.tokens import metadata as md

TAG = "seqviz"


class SeqvizFormatError(ValueError):
    """A line that does not follow the format; the message starts with `file:line:`."""


@dataclass
class _Entry:
    step: int
    loss: float | None
    vocab_size: int | None
    sequences: list[dict]


@dataclass
class _Vocab:
    """Token text by id; tokens whose id is unknown get negative ids, one per distinct text."""

    text: dict[int, str] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)

    def add(self, token_id: int, text: str | None) -> int:
        if text is not None:
            self.text.setdefault(token_id, text)
        return token_id

    def unknown_id(self, text: str) -> int:
        if text not in self.unknown:
            self.unknown[text] = -1 - len(self.unknown)
            self.text[self.unknown[text]] = text
        return self.unknown[text]


def import_seqviz(path: str | os.PathLike, logdir: str | os.PathLike, *, run: str | None = None, tag: str = TAG) -> str:
    """Write the steps of one JSONL file as run `run` (default: the file's name without extension) of `logdir`.

    Returns the run directory. Raises `SeqvizFormatError` (nothing written) for a malformed file.

    Example:
        >>> import_seqviz("training_viz.jsonl", "runs")   # then: tensorboard --logdir runs
        'runs/training_viz'
    """
    return import_seqviz_files([path], logdir, runs=None if run is None else [run], tag=tag)[0]


def import_seqviz_files(
    paths: Iterable[str | os.PathLike], logdir: str | os.PathLike, *, runs: list[str] | None = None, tag: str = TAG
) -> list[str]:
    """`import_seqviz` for several files: all are validated before any is written."""
    from tb_suite.core.writer import Writer
    from tb_suite.tokens.summary import write_token_record

    paths = [os.fspath(p) for p in paths]
    runs = runs or [os.path.splitext(os.path.basename(p))[0] for p in paths]
    parsed = [_read(path) for path in paths]
    # Every record is built before anything is written: a file that fails late writes nothing either.
    planned = [(os.path.join(os.fspath(logdir), run), _records(entries)) for run, entries in zip(runs, parsed)]
    for run_dir, records in planned:
        with Writer(run_dir) as writer:
            for step, loss, arrays, vocab_size, vocab_ids, vocab in records:
                write_token_record(
                    writer, tag, step, arrays, vocab_size=vocab_size, vocab_ids=vocab_ids, vocab=vocab, loss=loss
                )
    return [run_dir for run_dir, _ in planned]


def _records(entries: dict) -> list[tuple]:
    """(step, loss, arrays, vocab_size, vocab_ids, vocab strings) per entry, in step order; the vocabulary
    grows across steps, so each record carries the ids known up to it."""
    vocab = _Vocab()
    records = []
    for entry in sorted(entries.values(), key=lambda e: e.step):
        arrays, vocab_size = _arrays(entry, vocab)
        vocab_ids = np.asarray(sorted(vocab.text), dtype=np.int32)
        records.append((entry.step, entry.loss, arrays, vocab_size, vocab_ids, [vocab.text[int(i)] for i in vocab_ids]))
    return records


def register(formats) -> None:
    """Adds `tb-suite import seqviz FILE.jsonl... --logdir DIR [--tag TAG]` (see `tb_suite.cli`)."""
    parser = formats.add_parser(
        "seqviz", help="Sequence Training Visualizer JSONL files -> tbs_tokens runs (one per file)"
    )
    parser.add_argument("files", nargs="+", metavar="FILE.jsonl")
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--tag", default=TAG)
    parser.set_defaults(run=_run_command)


def _run_command(args) -> None:
    for run_dir in import_seqviz_files(args.files, args.logdir, tag=args.tag):
        print(f"wrote {run_dir}")


def _read(path: str) -> dict[int, _Entry]:
    """Entries by step (a later line repeating a step replaces the earlier one)."""
    entries: dict[int, _Entry] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    entry = _parse_line(line, f"{path}:{number}")
                    entries[entry.step] = entry
    except OSError as exc:
        raise SeqvizFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SeqvizFormatError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not entries:
        raise SeqvizFormatError(f"{path}: no entries")
    return entries


class _Checker:
    def __init__(self, where: str):
        self.where = where

    def fail(self, path: str, message: str):
        raise SeqvizFormatError(f"{self.where}: {path}: {message}")

    def get(self, obj: dict, key: str, path: str, kind: str, *, required: bool = True, alias: str | None = None):
        value = obj.get(key, obj.get(alias) if alias else None)
        name = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.fail(name, "missing" + (f" (or {alias!r})" if alias else ""))
            return None
        checks = {
            "int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
            "id": isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31,
            "number": isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
            "str": isinstance(value, str),
            "list": isinstance(value, list),
            "object": isinstance(value, dict),
        }
        if not checks[kind]:
            expected = {"int": "an integer >= 0", "id": "a token id in [0, 2**31)", "number": "a finite number"}.get(
                kind, f"a JSON {kind}"
            )
            self.fail(name, f"must be {expected}, got {json.dumps(value)[:40]}")
        return value


def _parse_line(line: str, where: str) -> _Entry:
    check = _Checker(where)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SeqvizFormatError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(obj, dict):
        check.fail("entry", "must be a JSON object")
    step = check.get(obj, "step", "", "int")
    loss = check.get(obj, "loss", "", "number", required=False)
    meta = check.get(obj, "metadata", "", "object", required=False) or {}
    vocab_size = check.get(meta, "vocab_size", "metadata", "int", required=False)
    sequences = check.get(obj, "sequences", "", "list")
    if not sequences:
        check.fail("sequences", "is empty")
    for s, seq in enumerate(sequences):
        path = f"sequences[{s}]"
        if not isinstance(seq, dict):
            check.fail(path, "must be a JSON object")
        tokens = check.get(seq, "tokens", path, "list")
        if not tokens:
            check.fail(f"{path}.tokens", "is empty")
        for t, token in enumerate(tokens):
            if not isinstance(token, str):
                check.fail(f"{path}.tokens[{t}]", "must be a string")
        for p, pred in enumerate(check.get(seq, "predictions", path, "list")):
            _check_prediction(check, pred, f"{path}.predictions[{p}]", len(tokens))
    return _Entry(step, loss, vocab_size, sequences)


def _check_prediction(check: _Checker, pred: Any, path: str, length: int) -> None:
    if not isinstance(pred, dict):
        check.fail(path, "must be a JSON object")
    position = check.get(pred, "position", path, "int")
    if position >= length:
        check.fail(f"{path}.position", f"{position} is past the last token (the sequence has {length})")
    check.get(pred, "target_token_id", path, "id", required=False)
    check.get(pred, "target_token_str", path, "str", required=False)
    entropy = check.get(pred, "entropy", path, "number", required=False)
    if entropy is not None and entropy < 0:
        check.fail(f"{path}.entropy", f"must be >= 0, got {entropy}")
    key = "top_20" if pred.get("top_20") is not None else "top_k"
    for i, item in enumerate(check.get(pred, key, path, "list", alias=None if key == "top_20" else "top_20")):
        item_path = f"{path}.{key}[{i}]"
        if not isinstance(item, dict):
            check.fail(item_path, "must be a JSON object")
        check.get(item, "token_id", item_path, "id")
        check.get(item, "token_str", item_path, "str", alias="token")
        prob = check.get(item, "probability", item_path, "number", alias="prob")
        if not 0 <= prob <= 1:
            check.fail(f"{item_path}.probability", f"must be in [0, 1], got {prob}")


def _top(pred: dict) -> list[tuple[int, str, float]]:
    items = pred.get("top_20") if pred.get("top_20") is not None else pred.get("top_k", [])
    top = [
        (item["token_id"], item.get("token_str", item.get("token")), float(item.get("probability", item.get("prob"))))
        for item in items
    ]
    return sorted(top, key=lambda t: -t[2])


def _arrays(entry: _Entry, vocab: _Vocab) -> tuple[dict[str, np.ndarray], int]:
    batch = len(entry.sequences)
    length = max(len(seq["tokens"]) for seq in entry.sequences)
    k = max([len(_top(p)) for seq in entry.sequences for p in seq["predictions"]] + [1])
    arrays = {
        md.INPUT_IDS: np.zeros((batch, length), np.int32),
        md.TARGETS: np.full((batch, length), -1, np.int32),
        md.MASK: np.zeros((batch, length), np.uint8),
        md.TOPK_IDS: np.full((batch, length, k), -1, np.int32),
        md.TOPK_PROBS: np.zeros((batch, length, k), np.float32),
        md.ENTROPY: np.full((batch, length), np.nan, np.float32),
        md.LOSS: np.full((batch, length), np.nan, np.float32),
        md.RANK: np.zeros((batch, length), np.int32),
    }
    max_id = -1
    for b, seq in enumerate(entry.sequences):
        tokens = seq["tokens"]
        known: dict[int, int] = {}  # position -> id, from the previous position's target
        for pred in seq["predictions"]:
            p, top = pred["position"], _top(pred)
            for token_id, text, _ in top:
                vocab.add(token_id, text)
                max_id = max(max_id, token_id)
            target = pred.get("target_token_id")
            if pred.get("entropy") is not None:
                arrays[md.ENTROPY][b, p] = pred["entropy"]
            arrays[md.TOPK_IDS][b, p, : len(top)] = [t[0] for t in top]
            arrays[md.TOPK_PROBS][b, p, : len(top)] = [t[2] for t in top]
            if target is None:
                continue
            vocab.add(target, pred.get("target_token_str"))
            max_id = max(max_id, target)
            arrays[md.TARGETS][b, p] = target
            if p + 1 < len(tokens):
                known[p + 1] = target
                vocab.add(target, tokens[p + 1])
            target_prob = next((prob for token_id, _, prob in top if token_id == target), None)
            if target_prob is not None and target_prob > 0:
                arrays[md.LOSS][b, p] = -math.log(target_prob)
                arrays[md.RANK][b, p] = 1 + sum(prob > target_prob for _, _, prob in top)
        for t, text in enumerate(tokens):
            arrays[md.INPUT_IDS][b, t] = known[t] if t in known else vocab.unknown_id(text)
        arrays[md.MASK][b, : len(tokens)] = 1
    return arrays, entry.vocab_size or max_id + 1
