"""Event files that TensorBoard's readers accept, written off the caller's thread.

TFRecord framing: uint64 length, masked CRC32C of the length, data, masked CRC32C of the data.
CRC32C is native (google-crc32c); TensorBoard's own writer computes it in pure Python (0.21 s/MiB).
One background thread performs every write in submission order, which is what makes sidecar data land
on disk before the event that references it.

Durability: `flush()` returns once everything queued before it is in the operating system's hands (it
survives the process being killed, not a machine crash: no fsync). Without it, data flows to the OS at
least every `flush_secs` while writes arrive. `close()` flushes, and interpreter exit (atexit; multiprocessing
children through its exit finalizers) closes every open writer.
"""

from __future__ import annotations

import atexit
import os
import queue
import secrets
import socket
import struct
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import google_crc32c
from tensorboard.compat.proto import event_pb2

from tb_suite.core.paths import is_remote, join

# Our event file names carry this marker and a random part: torch's and TensorBoard's writers name theirs
# events.out.tfevents.<time>.<host>.<pid>.<counter from 0> and open them truncating, so a name of that form
# could be taken over by their next file in the same second.
NAME_MARKER = ".tbs-"
# How long a fork waits for a writer thread to finish the item it is processing (an import half done on
# that thread would leave the child a partially initialized module, or a module lock held forever). Fork
# hooks that such an import registers during the wait get only their after-fork half from CPython: for
# logging's and concurrent.futures' locks it prints "Exception ignored ... release unlocked lock", harmless.
FORK_WAIT_SECS = 30.0


def masked_crc32c(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return b"".join((header, struct.pack("<I", masked_crc32c(header)), data, struct.pack("<I", masked_crc32c(data))))


def open_for_append(path: str):
    """Open a local path, or an fsspec URL, for writing bytes."""
    if is_remote(path):
        import fsspec

        return fsspec.open(path, "wb").open()
    return open(path, "ab")


def open_new(path: str):
    """Open a new file for writing bytes; a local file that exists already raises FileExistsError."""
    if is_remote(path):
        import fsspec

        return fsspec.open(path, "wb").open()
    return open(path, "xb")


def event_file_name(suffix: str = "") -> str:
    """A fresh event file name: TensorBoard's pattern (it reads files whose name contains "tfevents", in
    name order, which is time order), with our marker and 48 random bits in place of a counter."""
    return "events.out.tfevents.%010d.%s.%s%s%s%s" % (
        time.time(),
        socket.gethostname(),
        os.getpid(),
        NAME_MARKER,
        secrets.token_hex(6),
        suffix,
    )


def list_event_files(logdir: str, marker: str = NAME_MARKER) -> list[str]:
    """Paths of the event files directly in `logdir` whose name contains `marker`, in name order."""
    if is_remote(logdir):
        import fsspec

        fs, _, (root,) = fsspec.get_fs_token_paths(logdir)
        if not fs.isdir(root):
            return []
        names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False))
    else:
        try:
            names = sorted(os.listdir(logdir))
        except (FileNotFoundError, NotADirectoryError):
            return []
    return [join(logdir, n) for n in names if "tfevents" in n and marker in n]


def open_for_reading(path: str) -> BinaryIO:
    if is_remote(path):
        import fsspec

        return fsspec.open(path, "rb").open()
    return open(path, "rb")


def read_frames(file: BinaryIO) -> Iterator[bytes]:
    """The records of a TFRecord stream, up to the first incomplete or damaged one (a file being written
    ends in a partial record)."""
    while True:
        header = file.read(12)
        if len(header) < 12 or struct.unpack("<I", header[8:])[0] != masked_crc32c(header[:8]):
            return
        (length,) = struct.unpack("<Q", header[:8])
        body = file.read(length + 4)
        if len(body) < length + 4 or struct.unpack("<I", body[length:])[0] != masked_crc32c(body[:length]):
            return
        yield body[:length]


def make_dirs(path: str) -> None:
    if is_remote(path):
        import fsspec

        fs, _, (root,) = fsspec.get_fs_token_paths(path)
        fs.makedirs(root, exist_ok=True)
    else:
        os.makedirs(path, exist_ok=True)


class WriterClosedError(RuntimeError):
    """Raised by a call on an `EventFileWriter` after its `close()`."""


class _Sidecar:
    """An append-only file of payload bytes, opened on first use (on the writer thread)."""

    def __init__(self, path: str):
        self.path = path
        self._file = None
        self.size = 0

    def append(self, data: bytes) -> int:
        if self._file is None:
            make_dirs(self.path.rsplit("/", 1)[0] if is_remote(self.path) else os.path.dirname(self.path))
            self._file = open_for_append(self.path)
        offset = self.size
        self._file.write(data)
        self._file.flush()
        self.size += len(data)
        return offset

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass(frozen=True)
class EventItem:
    """A serialized `Event`, appended to the event file."""

    data: bytes


@dataclass(frozen=True)
class SidecarItem:
    """`data`, appended to sidecar `sidecar_name` (a path relative to the logdir) and flushed, then the event
    `make_event(sidecar_name, offset, length)` that points at it."""

    sidecar_name: str
    data: bytes
    make_event: Callable[[str, int, int], event_pb2.Event]


Item = EventItem | SidecarItem


@dataclass(frozen=True)
class _Deferred:
    """`make()` runs on the writer thread; the item it returns is written."""

    make: Callable[[], Item]


@dataclass(frozen=True)
class _Flush:
    """Flush the event file, then set `done`."""

    done: threading.Event


class _Stop:
    """The queue's last item: the thread closes the files and ends."""


class EventFileWriter:
    """Writes `Event` protos to one event file in `logdir` on a background thread.

    `max_queue_bytes` bounds the memory held by pending writes: a caller that would exceed it waits
    (back-pressure) instead of growing the queue without limit. While data flows the file is flushed
    at least every `flush_secs`, so a live TensorBoard sees new steps within its 5 s reload.

    A writer belongs to the process that made it: in a child made by `fork` every call on it raises
    RuntimeError (its thread did not survive the fork; `close()` is a no-op there), while the parent's
    writer goes on. A fork waits until the writer thread has finished the item it is processing.
    """

    def __init__(
        self,
        logdir: str,
        *,
        filename_suffix: str = "",
        max_queue_bytes: int = 256 << 20,
        flush_secs: float = 1.0,
    ):
        self.logdir = logdir
        make_dirs(logdir)
        while True:
            name = event_file_name(filename_suffix)
            self.path = join(logdir, name)
            try:
                self._file = open_new(self.path)
                break
            except FileExistsError:  # 48 random bits: practically never
                continue
        # Sidecars are named after their event file, minus "tfevents": TensorBoard's loaders read every
        # file whose name contains it as an event file (and list its folder as a run).
        self.sidecar_stem = name.replace("events.out.tfevents.", "tbs-payloads.", 1)
        self._pid = os.getpid()
        self._forked = False
        self._busy = threading.Lock()  # held by the writer thread while it processes an item
        self._sidecars: dict[str, _Sidecar] = {}
        self._flush_secs = flush_secs
        self._max_queue_bytes = max_queue_bytes
        self._pending_bytes = 0
        self._cond = threading.Condition()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="tb-suite-writer", daemon=True)
        self._thread.start()
        _register(self)
        self.add_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))
        self.flush()

    # --- caller side -------------------------------------------------------------------------
    def add_event(self, event: event_pb2.Event) -> None:
        self.add(EventItem(event.SerializeToString()))

    def add_event_with_sidecar(
        self, sidecar_name: str, data: bytes, make_event: Callable[[str, int, int], event_pb2.Event]
    ) -> None:
        """Append `data` to sidecar `sidecar_name` (a path relative to the logdir), then write the event
        `make_event(sidecar_name, offset, length)`; the data is flushed before the event is written."""
        self.add(SidecarItem(sidecar_name, data, make_event))

    def add(self, item: Item) -> None:
        """Queue an `EventItem` or a `SidecarItem`."""
        self._submit(item, len(item.data))

    def add_deferred(self, make_item: Callable[[], Item], nbytes: int) -> None:
        """Call `make_item()` on the writer thread and write the `EventItem` or `SidecarItem` it returns.
        `nbytes` estimates the memory the pending item holds (for back-pressure). An exception surfaces on
        the next call."""
        self._submit(_Deferred(make_item), nbytes)

    def flush(self) -> None:
        """Return once everything queued before it is written to the OS (no fsync)."""
        done = threading.Event()
        try:
            self._submit(_Flush(done), 0)
        except WriterClosedError:  # a close writes everything queued before it: wait for that instead
            self._thread.join()
            self._raise_if_failed()
            return
        done.wait()
        self._raise_if_failed()

    def close(self) -> None:
        """Write what is queued, close the files and stop the thread; raises if a write failed."""
        if self._forked:
            return
        with self._cond:
            if self._closed:
                return
            self._closed = True  # under the lock: nothing can be queued behind the sentinel
            self._queue.put((_Flush(threading.Event()), 0))
            self._queue.put((_Stop(), 0))
        self._thread.join()
        with _registry_lock:
            _open_writers.discard(self)
        self._raise_if_failed()

    # --- internals ----------------------------------------------------------------------------
    def _submit(self, item: Item | _Deferred | _Flush, nbytes: int) -> None:
        if self._forked:  # checked before the lock: another thread may have held it at the fork
            raise RuntimeError(
                f"this tb-suite event writer for {self.logdir} belongs to process {self._pid}, which forked "
                f"this one ({os.getpid()}): its thread did not survive the fork. tb_suite.Writer opens a new "
                "event file in the child; make a new EventFileWriter here"
            )
        with self._cond:
            if self._closed:
                raise WriterClosedError("the writer is closed")
            # A single item larger than the bound is let through alone rather than deadlocking.
            while (
                self._error is None and self._pending_bytes > 0 and self._pending_bytes + nbytes > self._max_queue_bytes
            ):
                self._cond.wait()
            self._raise_if_failed()
            self._pending_bytes += nbytes
            self._queue.put((item, nbytes))

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"tb-suite writer for {self.logdir} failed") from self._error

    def _run(self) -> None:
        last_flush = time.monotonic()
        dirty = False
        while True:
            try:
                entry = self._queue.get(timeout=self._flush_secs)
            except queue.Empty:
                entry = None  # no item: only the periodic flush below
            if entry is not None and isinstance(entry[0], _Stop):
                break
            with self._busy:
                try:
                    if entry is not None:
                        dirty = self._handle(*entry) or dirty
                    if dirty and time.monotonic() - last_flush >= self._flush_secs:
                        self._file.flush()
                        dirty = False
                        last_flush = time.monotonic()
                except BaseException as exc:  # surfaced to the callers; later items are dropped, not written
                    self._fail(exc)
        try:
            self._file.close()
            for sidecar in self._sidecars.values():
                sidecar.close()
        except BaseException as exc:
            self._fail(exc)

    def _handle(self, item: Item | _Deferred | _Flush, nbytes: int) -> bool:
        """Process one queued item; True when it wrote something not yet flushed."""
        try:
            if isinstance(item, _Flush):
                try:
                    if self._error is None:
                        self._file.flush()
                except BaseException as exc:
                    self._fail(exc)  # before the waiting caller wakes, so it sees the error
                finally:
                    item.done.set()
                return False
            if self._error is None:
                self._write(item)
                return True
            return False
        finally:
            with self._cond:
                self._pending_bytes -= nbytes
                self._cond.notify_all()

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._error is None:
                self._error = exc
            self._cond.notify_all()

    def _write(self, item: Item | _Deferred) -> None:
        if isinstance(item, _Deferred):
            item = item.make()
        if isinstance(item, EventItem):
            self._file.write(frame_record(item.data))
            return
        if not isinstance(item, SidecarItem):
            raise TypeError(f"the writer got {type(item).__name__}, not an EventItem or a SidecarItem")
        sidecar = self._sidecars.get(item.sidecar_name)
        if sidecar is None:
            path = join(self.logdir, *item.sidecar_name.split("/"))
            sidecar = self._sidecars[item.sidecar_name] = _Sidecar(path)
        offset = sidecar.append(item.data)
        event = item.make_event(item.sidecar_name, offset, len(item.data))
        self._file.write(frame_record(event.SerializeToString()))

    def _abandon_in_child(self) -> None:
        """In a forked child: refuse further use, and point the inherited file descriptors at /dev/null so
        that bytes still buffered in this copy can never reach the parent's files."""
        self._forked = True
        files = [self._file, *(sidecar._file for sidecar in self._sidecars.values())]
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            for file in files:
                try:
                    os.dup2(devnull, file.fileno())
                except (AttributeError, OSError, ValueError):  # closed, or not a local file
                    pass
        finally:
            os.close(devnull)


_open_writers: weakref.WeakSet[EventFileWriter] = weakref.WeakSet()
_registry_lock = threading.Lock()
_paused_for_fork: list[EventFileWriter] = []
_finalizer_pid: int | None = None


def _register(writer: EventFileWriter) -> None:
    global _finalizer_pid
    with _registry_lock:
        _open_writers.add(writer)
        # A multiprocessing child ends with os._exit, skipping atexit, after running these finalizers.
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None and _finalizer_pid != os.getpid():
            mp_util.Finalize(None, _close_open_writers, exitpriority=100)
            _finalizer_pid = os.getpid()


def _before_fork() -> None:
    with _registry_lock:
        writers = list(_open_writers)
    for writer in writers:
        if not writer._forked and writer._busy.acquire(timeout=FORK_WAIT_SECS):
            _paused_for_fork.append(writer)


def _after_fork_in_parent() -> None:
    while _paused_for_fork:
        _paused_for_fork.pop()._busy.release()


def _after_fork_in_child() -> None:
    global _registry_lock
    _registry_lock = threading.Lock()  # another thread may have held it at the fork
    for writer in list(_open_writers):
        writer._abandon_in_child()
    _open_writers.clear()
    _paused_for_fork.clear()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)


@atexit.register
def _close_open_writers() -> None:
    with _registry_lock:
        writers = list(_open_writers)
    for writer in writers:
        try:
            writer.close()
        except Exception as exc:  # at exit nobody can catch it: say so instead of dropping it silently
            print(f"tb-suite: writing {writer.path} failed: {exc!r} (cause: {exc.__cause__!r})", file=sys.stderr)
