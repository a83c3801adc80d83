"""`Writer`: one TensorBoard run that every `log_*` function writes into."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.plugins.scalar import metadata as scalar_metadata

from tb_suite.core import codec, events
from tb_suite.core.dist import rank_and_world_size
from tb_suite.core.metadata import create_summary_metadata
from tb_suite.core.run_state import run_state
from tb_suite.core.validate import check_step, check_tag

# Larger records go to a sidecar file: /tags reads every stored value, so inline ones stay small.
INLINE_LIMIT = 4 << 10


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
    (then the summaries land in the same run as the user's scalars, in an event file of their own, whose
    name no other writer uses). Under torch.distributed only rank 0 writes; on other ranks every call is a
    no-op. The `Writer`s of one run in one process share one event file (made with the first one's
    settings), so the file holds the records in the order of the calls.

    A tag holds one family's data: writing another family's records (or a scalar) under a tag that already
    has some in the run, from this process or found in the run's tb-suite files, raises ValueError before
    anything is written. A tag's steps should increase: a step not above the tag's last one is written and
    warned about (`StepOrderWarning`), since TensorBoard's `--load_fast=true` loader then drops records.

    Log calls return before the disk is touched. What is kept if the process dies: everything queued
    before a `flush()` or `close()` that returned; on a normal interpreter exit (also by an exception or
    Ctrl-C), everything, as every open writer is closed then, in multiprocessing children too. A SIGKILL,
    `os._exit` or a crash loses what was logged in the last `flush_secs` (1 s) before it, and anything still
    queued behind a burst of large records (docs/storage.md).

    After `os.fork` (DataLoader workers, multiprocessing) a `Writer` goes on working in the child, in a
    new event file of the child's own; the parent's records stay in the parent's file. A `Writer` pickles
    as its run and settings, so it can also be handed to spawn / forkserver children.

    Example:
        >>> import tempfile, tb_suite as tbs
        >>> run = tempfile.mkdtemp()
        >>> with tbs.Writer(run) as writer:  # leaving the block writes everything logged in it
        ...     for step in range(3):
        ...         tbs.log_confusion_matrix(writer, "val", [0, 1, 1], [0, 1, 0], step=step)
        >>> sorted(tbs.read_records(run, "tbs_predictions")["val"])
        [0, 1, 2]
    """

    def __init__(self, target: Any, *, max_queue_bytes: int = 256 << 20, flush_secs: float = 1.0):
        self.logdir = _logdir_of(target)
        self.enabled = rank_and_world_size(launcher=True)[0] == 0
        self._max_queue_bytes = max_queue_bytes
        self._flush_secs = flush_secs
        self._run = run_state(self.logdir)

    @property
    def event_writer(self) -> events.EventFileWriter:
        """The run's event file writer in this process (shared with its other `Writer`s)."""
        with self._run.lock:
            return self._open()

    def _open(self) -> events.EventFileWriter:
        return self._run.open(
            self,
            lambda: events.EventFileWriter(
                self.logdir, max_queue_bytes=self._max_queue_bytes, flush_secs=self._flush_secs
            ),
        )

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
        Raises ValueError when `tag` holds another plugin's data in this run.
        """
        tag, step = check_tag(tag), check_step(step)
        if not self.enabled:
            return
        with self._run.lock:
            self._run.check_owner(plugin_name, tag)
        payload = codec.encode_record(meta, arrays, encodings=encodings, compress=compress)
        with self._run.lock:  # the checks and the queueing in one step: the file order is the checked one
            self._run.claim(plugin_name, tag, step)
            event_writer = self._open()
            make_item = self._record_item(plugin_name, tag, step, content, description, event_writer.sidecar_stem)
            event_writer.add(make_item(payload))

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
        with self._run.lock:
            self._run.claim(plugin_name, tag, step)
            event_writer = self._open()
            make_item = self._record_item(plugin_name, tag, step, content, description, event_writer.sidecar_stem)

            def build() -> events.Item:
                meta, arrays = make_record()
                return make_item(codec.encode_record(meta, arrays, encodings=encodings, compress=compress))

            event_writer.add_deferred(build, nbytes)

    def _record_item(
        self, plugin_name: str, tag: str, step: int, content: Mapping, description: str, sidecar_stem: str
    ):
        """A function of the payload giving what the event writer writes: the event holding the payload,
        or, when the payload is large, a `SidecarItem` whose event references it."""
        # Every event carries its (small) metadata: readers keep the first they see per tag, and events
        # from several threads may reach the file in any order.
        metadata = create_summary_metadata(plugin_name, dict(content), description)
        wall_time = time.time()
        sidecar = f"plugins/{plugin_name}/{sidecar_stem}.tbs"

        def make_event(value: bytes) -> event_pb2.Event:
            summary_value = summary_pb2.Summary.Value(tag=tag, tensor=_string_tensor(value), metadata=metadata)
            return event_pb2.Event(wall_time=wall_time, step=step, summary=summary_pb2.Summary(value=[summary_value]))

        def make_item(payload: bytes) -> events.Item:
            if len(payload) <= INLINE_LIMIT:
                return events.EventItem(make_event(payload).SerializeToString())
            return events.SidecarItem(
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
        event = event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=[summary_value]))
        with self._run.lock:
            self._run.claim(scalar_metadata.PLUGIN_NAME, tag, step)
            self._open().add_event(event)

    def flush(self) -> None:
        """Return once everything logged before this call is written to the OS (it survives the process
        being killed; no fsync, so not a machine crash). Raises RuntimeError if a write failed."""
        with self._run.lock:
            event_writer = self._run.events
        if event_writer is not None:
            event_writer.flush()

    def close(self) -> None:
        """Write everything logged so far, as `flush()`; the run's event file is closed when no other
        `Writer` of this process uses it. The `Writer` can be used again afterwards."""
        with self._run.lock:
            shared = self._run.events
            to_close = self._run.release(self)
        if to_close is not None:
            to_close.close()
        elif shared is not None:
            shared.flush()

    def __reduce__(self):
        return _unpickle_writer, (self.logdir, self._max_queue_bytes, self._flush_secs)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _unpickle_writer(logdir: str, max_queue_bytes: int, flush_secs: float) -> Writer:
    return Writer(logdir, max_queue_bytes=max_queue_bytes, flush_secs=flush_secs)


_writers: dict[str, Writer] = {}
_writers_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _writers_lock
    _writers_lock = threading.Lock()  # another thread may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


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
