"""The numbers of the runs table: per-series summaries (numpy, no loop per point), group mean +- std,
values at common steps, config flattening and a safe parser for config filter expressions (no eval)."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

STATS = ("final", "best", "best_step", "last_mean", "count", "last_step")
DEFAULT_LAST_N = 10

# "best" is the minimum for these names and the maximum for _MAX_WORDS; checked on the tag's words.
_MIN_WORDS = (
    "loss",
    "error",
    "err",
    "perplexity",
    "ppl",
    "mse",
    "mae",
    "rmse",
    "nll",
    "wer",
    "cer",
    "regret",
    "bpc",
    "bpd",
)
_MAX_WORDS = (
    "acc",
    "accuracy",
    "f1",
    "auc",
    "auroc",
    "ap",
    "map",
    "precision",
    "recall",
    "bleu",
    "rouge",
    "iou",
    "dice",
    "r2",
    "score",
    "reward",
    "return",
    "top1",
    "top5",
    "mcc",
    "kappa",
)


@functools.lru_cache(maxsize=65536)
def best_direction(tag: str) -> str:
    """ "min" for loss/error/perplexity-like tags, "max" for accuracy/F1/AUC-like and throughput ones
    (`samples_per_second`), "min" otherwise.

    >>> best_direction("val/acc_top1"), best_direction("train_loss")
    ('max', 'min')
    """
    lowered = tag.lower()
    if "throughput" in lowered or re.search(r"per_?s(ec(ond)?)?\b", lowered):
        return "max"
    words = [w for w in re.split(r"[^a-z0-9]+", lowered) if w]
    for word in reversed(words):  # the last word decides: "loss_acc" is an accuracy
        if word in _MIN_WORDS or any(word.startswith(m) for m in ("loss", "err", "perplex")):
            return "min"
        if word in _MAX_WORDS or word.startswith(("acc", "f1", "auc")):
            return "max"
    return "min"


def summarize(steps: np.ndarray, values: np.ndarray, *, direction: str = "min", last_n: int = DEFAULT_LAST_N) -> dict:
    """Summary of one series in step order: final value, best (min or max, NaN ignored; first on ties) and
    its step, mean of the last `last_n` points (NaN skipped), point count and last step. None where undefined.

    >>> summarize(np.array([0, 1, 2]), np.array([3.0, 1.0, 2.0]), last_n=2)["best_step"]
    1
    """
    if direction not in ("min", "max"):
        raise ValueError(f"direction must be 'min' or 'max', got {direction!r}")
    values = np.asarray(values, dtype=np.float64)
    steps = np.asarray(steps)
    out: dict[str, Any] = {"count": int(values.size), "direction": direction}
    if values.size == 0:
        return {**out, "final": None, "best": None, "best_step": None, "last_mean": None, "last_step": None}
    finite = ~np.isnan(values)
    if finite.any():
        masked = np.where(finite, values, np.inf if direction == "min" else -np.inf)
        index = int(np.argmin(masked) if direction == "min" else np.argmax(masked))
        out["best"], out["best_step"] = float(values[index]), int(steps[index])
    else:
        out["best"] = out["best_step"] = None
    tail = values[-last_n:]
    tail = tail[~np.isnan(tail)]
    out["last_mean"] = float(tail.mean()) if tail.size else None
    out["final"] = _number(values[-1])
    out["last_step"] = int(steps[-1])
    return out


def _number(value: float) -> float | None:
    """A JSON-safe float: None for NaN and +-Inf (JSON has neither)."""
    value = float(value)
    return value if math.isfinite(value) else None


def group_stats(values: Sequence[float | None]) -> dict:
    """Mean and sample standard deviation (ddof=1, as pandas) of a group's values, None skipped."""
    array = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=np.float64)
    mean = _number(array.mean()) if array.size else None
    std = _number(array.std(ddof=1)) if array.size > 1 else None
    return {"mean": mean, "std": std, "n": int(array.size)}


def group_rows(rows: Sequence[Mapping], keys: Sequence[str]) -> list[dict]:
    """Rows `{"run", "config", "metrics": {tag: summary}}` grouped by the values of config `keys`: per group
    the key values, its runs and, per tag and stat, mean +- std over the runs (the seeds)."""
    groups: dict[str, dict] = {}
    for row in rows:
        values = {key: row["config"].get(key) for key in keys}
        group = groups.setdefault(
            json.dumps(values, sort_keys=True, default=str), {"values": values, "runs": [], "rows": []}
        )
        group["runs"].append(row["run"])
        group["rows"].append(row)
    out = []
    for group in groups.values():
        tags = sorted({tag for row in group["rows"] for tag in row["metrics"]})
        metrics = {
            tag: {
                stat: group_stats([row["metrics"].get(tag, {}).get(stat) for row in group["rows"]])
                for stat in ("final", "best", "last_mean")
            }
            for tag in tags
        }
        out.append({"values": group["values"], "runs": group["runs"], "metrics": metrics})
    return out


def common_steps(series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Steps every run has, and each run's values at those steps (the last value logged at a repeated step)."""
    if not series:
        return np.zeros(0, np.int64), {}
    shared = None
    for steps, _ in series.values():
        shared = np.unique(steps) if shared is None else np.intersect1d(shared, steps)
    out = {}
    for run, (steps, values) in series.items():
        # The last occurrence of each step: a stable sort keeps repeats in logging order.
        order = np.argsort(steps, kind="stable")
        sorted_steps = steps[order]
        last = np.searchsorted(sorted_steps, shared, side="right") - 1
        out[run] = np.asarray(values, dtype=np.float64)[order][last]
    return shared.astype(np.int64), out


def epoch_stats(steps: np.ndarray, values: np.ndarray, epoch_steps: np.ndarray, epochs: np.ndarray) -> list[dict]:
    """Box-plot statistics of a metric per epoch: each point belongs to the epoch logged at the last epoch step
    at or before it (points before the first one to the first epoch); NaN points are left out. Quartiles
    interpolate linearly (numpy's and pandas' default)."""
    steps, values = np.asarray(steps), np.asarray(values, dtype=np.float64)
    order = np.argsort(epoch_steps, kind="stable")
    epoch_steps, epochs = np.asarray(epoch_steps)[order], np.asarray(epochs, dtype=np.float64)[order]
    if epoch_steps.size == 0 or steps.size == 0:
        return []
    index = np.clip(np.searchsorted(epoch_steps, steps, side="right") - 1, 0, None)
    point_epochs = epochs[index]
    keep = ~np.isnan(values) & ~np.isnan(point_epochs)
    point_epochs, values = point_epochs[keep], values[keep]
    out = []
    for epoch in np.unique(point_epochs):
        group = values[point_epochs == epoch]
        q = np.percentile(group, [0, 25, 50, 75, 100])
        out.append(
            {
                "epoch": _number(epoch),
                "count": int(group.size),
                "min": float(q[0]),
                "q1": float(q[1]),
                "median": float(q[2]),
                "q3": float(q[3]),
                "max": float(q[4]),
                "mean": float(group.mean()),
            }
        )
    return out


def flatten_config(config: Any, prefix: str = "") -> dict[str, Any]:
    """A nested config as one level with dotted keys; values are numbers, strings, booleans or None, and a
    list becomes its JSON text.

    >>> flatten_config({"model": {"layers": 2, "act": "gelu"}, "lr": 1e-3, "betas": [0.9, 0.99]})
    {'model.layers': 2, 'model.act': 'gelu', 'lr': 0.001, 'betas': '[0.9, 0.99]'}
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, got {type(config).__name__}")
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, name + "."))
        else:
            flat[name] = config_value(value)
    return flat


def config_value(value: Any) -> Any:
    """A config value as stored: bool/int/float/str/None kept (non-finite floats become text), numpy
    scalars unwrapped, sequences as JSON text, anything else as its str()."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        try:
            return json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


# --- filter expressions ---------------------------------------------------------------------------------
class FilterError(ValueError):
    """A filter expression that does not parse; the message names the column."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|<=|>=|<|>|=~|\(|\)|\[|\]|,)
    | (?P<name>`[^`]+`|[A-Za-z_][\w.\-/:]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null", "none"}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass
class _Token:
    kind: str  # number, string, op, name, keyword, end
    text: str
    column: int  # 1-based


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            column = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            raise FilterError(f"column {column}: unexpected character {text[column - 1]!r}")
        kind = match.lastgroup
        value = match.group(kind)
        column = match.start(kind) + 1
        if kind == "name" and value.lower() in _KEYWORDS:
            kind, value = "keyword", value.lower()
        tokens.append(_Token(kind, value, column))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    """Recursive descent over: or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | atom ;
    atom := '(' or ')' | operand ((op operand) | ['not'] 'in' list | '=~' string)? ; a bare name is 'is set
    and truthy'."""

    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, token: _Token, expected: str):
        got = "the end" if token.kind == "end" else repr(token.text)
        raise FilterError(f"column {token.column}: expected {expected}, got {got}")

    def accept(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        if token.kind == kind and (text is None or token.text == text):
            self.i += 1
            return True
        return False

    def parse(self):
        node = self.parse_or()
        if self.peek().kind != "end":
            self.fail(self.peek(), "'and', 'or' or the end")
        return node

    def parse_or(self):
        nodes = [self.parse_and()]
        while self.accept("keyword", "or"):
            nodes.append(self.parse_and())
        return nodes[0] if len(nodes) == 1 else lambda row: any(n(row) for n in nodes)

    def parse_and(self):
        nodes = [self.parse_not()]
        while self.accept("keyword", "and"):
            nodes.append(self.parse_not())
        return nodes[0] if len(nodes) == 1 else lambda row: all(n(row) for n in nodes)

    def parse_not(self):
        if self.accept("keyword", "not"):
            inner = self.parse_not()
            return lambda row: not inner(row)
        return self.parse_atom()

    def parse_atom(self):
        if self.accept("op", "("):
            node = self.parse_or()
            if not self.accept("op", ")"):
                self.fail(self.peek(), "')'")
            return node
        left = self.parse_operand()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARE:
            self.take()
            right, op = self.parse_operand(), _COMPARE[token.text]
            return lambda row: _compare(op, left(row), right(row))
        if token.kind == "op" and token.text == "=~":
            self.take()
            pattern_token = self.take()
            if pattern_token.kind != "string":
                self.fail(pattern_token, "a quoted regular expression")
            try:
                pattern = re.compile(_unquote(pattern_token.text))
            except re.error as exc:
                raise FilterError(f"column {pattern_token.column}: bad regular expression: {exc}") from None
            return lambda row: isinstance(v := left(row), str) and pattern.search(v) is not None
        negate = False
        if token.kind == "keyword" and token.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            negate = True
        if self.accept("keyword", "in"):
            options = self.parse_list()
            if negate:
                return lambda row: (v := left(row)) is not _MISSING and not any(_equal(v, o) for o in options)
            return lambda row: any(_equal(left(row), o) for o in options)
        return lambda row: (v := left(row)) is not _MISSING and bool(v)

    def parse_list(self) -> list:
        if not self.accept("op", "["):
            self.fail(self.peek(), "'['")
        items = []
        if self.accept("op", "]"):
            return items
        while True:
            items.append(self.parse_literal())
            if self.accept("op", "]"):
                return items
            if not self.accept("op", ","):
                self.fail(self.peek(), "',' or ']'")

    def parse_literal(self):
        token = self.take()
        if token.kind == "number":
            return _parse_number(token.text)
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "keyword" and token.text in ("true", "false", "null", "none"):
            return {"true": True, "false": False}.get(token.text)
        self.fail(token, "a number, a quoted string, true, false or null")

    def parse_operand(self):
        token = self.peek()
        if token.kind == "name":
            self.take()
            key = token.text[1:-1] if token.text.startswith("`") else token.text
            return lambda row: row.get(key, _MISSING)
        value = self.parse_literal()
        return lambda row: value


_MISSING = object()


def _parse_number(text: str) -> float | int:
    value = float(text)
    return int(value) if re.fullmatch(r"[-+]?\d+", text) else value


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    if a is _MISSING:
        return False
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _compare(op: Callable, a: Any, b: Any) -> bool:
    """Numbers with numbers, strings with strings; a missing key or mixed kinds never match."""
    if a is _MISSING or b is _MISSING:
        return False
    if op is _COMPARE["=="]:
        return _equal(a, b)
    if op is _COMPARE["!="]:
        return not _equal(a, b)
    if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
        return op(a, b)
    return False


def parse_filter(text: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over a run's flattened config (plus `run`, its name) from an expression such as
    `lr < 1e-3 and model == "bert"`, `seed in [1, 2]`, `not (optimizer == 'sgd')`, `run =~ "lr0"`.
    Parsed, never evaluated as Python; a bad expression raises `FilterError` naming the column.

    >>> parse_filter('lr < 1e-3 and seed in [1, 2]')({"lr": 1e-4, "seed": 2})
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"filter must be a string, got {type(text).__name__}")
    if not text.strip():
        return lambda row: True
    return _Parser(text).parse()


def filter_rows(rows: Iterable[Mapping], expression: str) -> list:
    predicate = parse_filter(expression)
    return [row for row in rows if predicate({**row["config"], "run": row["run"]})]
