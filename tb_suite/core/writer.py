"""`Writer`: one TensorBoard run that every `log_*` function writes into."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, Callable, Mapping

import numpy as np

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.plugins.scalar import metadata as scalar_metadata

from tb_suite.core import codec, events
from tb_suite.core.metadata import create_summary_metadata
from tb_suite.core.validate import check_step, check_tag

# Larger records go to a sidecar file: /tags reads every stored value, so inline ones stay small.
INLINE_LIMIT = 4 << 10


def _process_rank() -> int:
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def _logdir_of(target: Any) -> str:
    if isinstance(target, (str, os.PathLike)):
        return os.fspath(target)
    for attribute in ("log_dir", "logdir"):  # Lightning TensorBoardLogger, torch SummaryWriter
        value = getattr(target, attribute, None)
        if isinstance(value, (str, os.PathLike)):
            return os.fspath(value)
    get_logdir = getattr(target, "get_logdir", None)
    if callable(get_logdir):
        return os.fspath(get_logdir())
    raise TypeError(
        "target must be a logdir path or URL, a torch SummaryWriter or a Lightning TensorBoardLogger, "
        f"got {type(target).__name__}"
    )


def _string_tensor(value: bytes) -> tensor_pb2.TensorProto:
    return tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, tensor_shape=tensor_shape_pb2.TensorShapeProto(), string_val=[value]
    )


class Writer:
    """Writes tb-suite summaries into one TensorBoard run.

    `target` is a logdir path or fsspec URL, a torch `SummaryWriter` or a Lightning `TensorBoardLogger`
    (then the summaries land in the same run as the user's scalars, in an event file of their own).
    Under torch.distributed only rank 0 writes; on other ranks every call is a no-op.

    Example:
        >>> with tbs.Writer("runs/exp1") as writer:
        ...     tbs.log_confusion_matrix(writer, "val", preds, targets, step=0)
    """

    def __init__(self, target: Any, *, max_queue_bytes: int = 256 << 20, flush_secs: float = 1.0):
        self.logdir = _logdir_of(target)
        self.enabled = _process_rank() == 0
        self._max_queue_bytes = max_queue_bytes
        self._flush_secs = flush_secs
        self._events: events.EventFileWriter | None = None
        self._lock = threading.Lock()

    @property
    def event_writer(self) -> events.EventFileWriter:
        with self._lock:
            if self._events is None:
                self._events = events.EventFileWriter(
                    self.logdir, max_queue_bytes=self._max_queue_bytes, flush_secs=self._flush_secs
                )
            return self._events

    def write_record(
        self,
        plugin_name: str,
        tag: str,
        step: int,
        meta: Mapping,
        arrays: Mapping[str, np.ndarray],
        *,
        content: Mapping,
        encodings: Mapping[str, str] | None = None,
        compress: bool = False,
        description: str = "",
    ) -> None:
        """Store one record for (tag, step): inline when small, else in the plugin's sidecar file.

        `content` is the tag-level plugin metadata (readers keep the first one per run and tag).
        """
        tag, step = check_tag(tag), check_step(step)
        if not self.enabled:
            return
        payload = codec.encode_record(meta, arrays, encodings=encodings, compress=compress)
        make_item = self._record_item(plugin_name, tag, step, content, description)
        item = make_item(payload)
        if isinstance(item, event_pb2.Event):
            self.event_writer.add_event(item)
        else:
            self.event_writer.add_event_with_sidecar(*item)

    def write_record_later(
        self,
        plugin_name: str,
        tag: str,
        step: int,
        make_record: Callable[[], tuple[Mapping, Mapping[str, np.ndarray]]],
        *,
        content: Mapping,
        encodings: Mapping[str, str] | None = None,
        compress: bool = False,
        description: str = "",
        nbytes: int = 0,
    ) -> None:
        """Like `write_record`, but `make_record()` -> (meta, arrays) runs, and the record is encoded, on
        the writer's background thread, so the caller only queues it. Validate the inputs first (errors
        inside `make_record` surface on a later call), and let `make_record` read nothing the caller
        changes afterwards. `nbytes` (the size of the data it holds) bounds the queue's memory."""
        tag, step = check_tag(tag), check_step(step)
        if not self.enabled:
            return
        make_item = self._record_item(plugin_name, tag, step, content, description)

        def build():
            meta, arrays = make_record()
            item = make_item(codec.encode_record(meta, arrays, encodings=encodings, compress=compress))
            return item.SerializeToString() if isinstance(item, event_pb2.Event) else item

        self.event_writer.add_deferred(build, nbytes)

    def _record_item(self, plugin_name: str, tag: str, step: int, content: Mapping, description: str):
        """A function of the payload giving what the event writer writes: the event holding the payload,
        or a (sidecar, data, make_event) tuple when the payload is large."""
        # Every event carries its (small) metadata: readers keep the first they see per tag, and events
        # from several threads may reach the file in any order.
        metadata = create_summary_metadata(plugin_name, dict(content), description)
        wall_time = time.time()
        sidecar = f"plugins/{plugin_name}/{self.event_writer.sidecar_stem}.tbs"

        def make_event(value: bytes) -> event_pb2.Event:
            summary_value = summary_pb2.Summary.Value(tag=tag, tensor=_string_tensor(value), metadata=metadata)
            return event_pb2.Event(wall_time=wall_time, step=step, summary=summary_pb2.Summary(value=[summary_value]))

        def make_item(payload: bytes):
            if len(payload) <= INLINE_LIMIT:
                return make_event(payload)
            return (
                sidecar,
                payload,
                lambda name, offset, length: make_event(
                    codec.encode_reference(name.rsplit("/", 1)[-1], offset, length)
                ),
            )

        return make_item

    def write_scalar(self, tag: str, value: float, step: int) -> None:
        """A plain TensorBoard scalar, shown in the Scalars tab."""
        tag, step = check_tag(tag), check_step(step)
        if not self.enabled:
            return
        summary_value = summary_pb2.Summary.Value(
            tag=tag,
            tensor=tensor_pb2.TensorProto(
                dtype=types_pb2.DT_FLOAT,
                tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                float_val=[float(value)],
            ),
            metadata=scalar_metadata.create_summary_metadata(display_name=tag, description=""),
        )
        self.event_writer.add_event(
            event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=[summary_value]))
        )

    def flush(self) -> None:
        if self._events is not None:
            self._events.flush()

    def close(self) -> None:
        with self._lock:
            events_writer, self._events = self._events, None
        if events_writer is not None:
            events_writer.close()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


_writers: dict[str, Writer] = {}
_writers_lock = threading.Lock()


def as_writer(target: Any) -> Writer:
    """`target` itself if it is a `Writer`, else the shared `Writer` for its run (made on first use)."""
    if isinstance(target, Writer):
        return target
    logdir = _logdir_of(target)
    with _writers_lock:
        writer = _writers.get(logdir)
        if writer is None:
            writer = _writers[logdir] = Writer(logdir)
        return writer
