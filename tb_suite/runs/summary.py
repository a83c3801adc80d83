"""`log_config` and `log_scalars`: a run's configuration and plain TensorBoard scalars, for the Runs tab."""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from tb_suite.core.validate import check_step, check_tag, is_torch_tensor
from tb_suite.core.writer import as_writer
from tb_suite.runs import metadata as md
from tb_suite.runs.compute import flatten_config

_MAX_CONFIG_KEYS = 10_000
# Steps of the config records per run in this process: each call gets the next, so the latest is the last
# (a new process starts again at 0, which TensorBoard's loaders take as the newer record too).
_config_steps: dict[str, int] = {}
_config_lock = threading.Lock()


def log_config(writer: Any, config: Mapping, *, source: str = "log_config", files: Sequence[Mapping] = ()) -> None:
    """Record the run's configuration (nested mappings become dotted keys); the Runs tab shows it as
    columns and filters and groups by it. A later call for the same run replaces the earlier one.

    `writer` is a `tbs.Writer`, a logdir path, a torch `SummaryWriter` or a Lightning `TensorBoardLogger`.
    `files` lists run metadata such as checkpoints: mappings with `path` and optionally `bytes`.

    Example:
        >>> import tempfile, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_config(writer, {"lr": 1e-3, "model": {"layers": 4}, "seed": 1})
        >>> meta, _ = tbs.read_records(run, "tbs_runs")["config"][0]
        >>> meta["config"]
        {'lr': 0.001, 'model.layers': 4, 'seed': 1}
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, got {type(config).__name__}")
    flat = flatten_config(config)
    if len(flat) > _MAX_CONFIG_KEYS:
        raise ValueError(f"config has {len(flat)} keys after flattening, at most {_MAX_CONFIG_KEYS} are kept")
    for key in flat:
        if not key.strip():
            raise ValueError("config has an empty key")
    if not isinstance(source, str):
        raise TypeError(f"source must be a string, got {type(source).__name__}")
    checked_files = []
    for i, item in enumerate(files):
        if not isinstance(item, Mapping) or not isinstance(item.get("path"), str):
            raise TypeError(f"files[{i}] must be a mapping with a string 'path'")
        size = item.get("bytes")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise ValueError(f"files[{i}].bytes must be an int >= 0, got {size!r}")
        checked_files.append({"path": item["path"], "bytes": size})
    target = as_writer(writer)
    with _config_lock:
        step = _config_steps.get(target.logdir, 0)
        _config_steps[target.logdir] = step + 1
    target.write_record(
        md.PLUGIN_NAME,
        md.CONFIG_TAG,
        step,
        {"config": flat, "source": source, "files": checked_files},
        {},
        content=md.create_content(),
    )


def log_scalars(writer: Any, values: Mapping[str, Any], step: int) -> None:
    """Plain TensorBoard scalars, one per tag (the Scalars tab shows them too), for users without a
    SummaryWriter. Values are numbers or one-element tensors; NaN and Inf are refused.

    Example:
        >>> import tempfile, tb_suite as tbs
        >>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        >>> run = tempfile.mkdtemp()
        >>> with tbs.Writer(run) as writer:
        ...     tbs.log_scalars(writer, {"loss": 0.25, "lr": 3e-4}, step=100)
        >>> loss = EventAccumulator(run).Reload().Tensors("loss")  # as TensorBoard reads it
        >>> loss[0].step, loss[0].tensor_proto.float_val
        (100, [0.25])
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a mapping of tag -> number, got {type(values).__name__}")
    if not values:
        raise ValueError("values is empty")
    step = check_step(step)
    checked = {}
    for tag, value in values.items():
        check_tag(tag)
        if is_torch_tensor(value):
            if value.numel() != 1:
                raise ValueError(f"values[{tag!r}] must hold one element, got shape {tuple(value.shape)}")
            value = value.detach().cpu().item()
        elif hasattr(value, "item") and getattr(value, "size", 1) == 1 and not isinstance(value, (str, bytes)):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"values[{tag!r}] must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"values[{tag!r}] is {value}: NaN and Inf are refused")
        checked[tag] = float(value)
    target = as_writer(writer)
    for tag, value in checked.items():
        target.write_scalar(tag, value, step)
