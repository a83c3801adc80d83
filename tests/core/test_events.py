import threading
import time

import pytest
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer import record_writer

from tb_suite.core import events


def test_masked_crc_matches_tensorboards_pure_python_implementation():
    for data in (b"", b"a", b"hello world" * 100, bytes(range(256)) * 7):
        assert events.masked_crc32c(data) == record_writer.masked_crc32c(data)


def _read_events(path):
    return list(event_file_loader.RawEventFileLoader(str(path)).Load())


def test_events_are_read_back_by_tensorboards_reader(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    for step in range(5):
        writer.add_event(
            event_pb2.Event(
                step=step, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=step)])
            )
        )
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    records = [event_pb2.Event.FromString(r) for r in _read_events(path)]
    assert records[0].file_version == "brain.Event:2"
    assert [r.step for r in records[1:]] == list(range(5))
    assert [r.summary.value[0].simple_value for r in records[1:]] == list(range(5))


def test_file_name_follows_tensorboards_pattern(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    writer.close()
    name = writer.path.rsplit("/", 1)[-1]
    parts = name.split(".")
    assert parts[:3] == ["events", "out", "tfevents"] and parts[3].isdigit() and len(parts[3]) == 10


def test_sidecar_is_written_before_the_event_that_references_it(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    seen = []

    def make_event(name, offset, length):
        sidecar = tmp_path / name
        seen.append(sidecar.read_bytes()[offset : offset + length])
        return event_pb2.Event(step=len(seen), file_version=f"{name}:{offset}:{length}")

    writer.add_event_with_sidecar("plugins/p/a.tbs", b"first", make_event)
    writer.add_event_with_sidecar("plugins/p/a.tbs", b"second!", make_event)
    writer.close()
    assert seen == [b"first", b"second!"]
    assert (tmp_path / "plugins/p/a.tbs").read_bytes() == b"firstsecond!"
    refs = [event_pb2.Event.FromString(r).file_version for r in _read_events(writer.path)[1:]]
    assert refs == ["plugins/p/a.tbs:0:5", "plugins/p/a.tbs:5:7"]


def test_queue_is_bounded_and_applies_back_pressure(tmp_path):
    writer = events.EventFileWriter(str(tmp_path), max_queue_bytes=1 << 20)
    gate = threading.Event()
    blocked_sidecar = lambda name, offset, length: (gate.wait(), event_pb2.Event(step=1))[1]
    writer.add_event_with_sidecar("plugins/p/x.tbs", b"x" * (600 << 10), blocked_sidecar)
    done = threading.Event()

    def second_write():
        writer.add_event_with_sidecar("plugins/p/x.tbs", b"y" * (600 << 10), lambda *a: event_pb2.Event(step=2))
        done.set()

    thread = threading.Thread(target=second_write)
    thread.start()
    time.sleep(0.3)
    assert not done.is_set(), "a write beyond max_queue_bytes must wait for the queue to drain"
    gate.set()
    thread.join(5)
    assert done.is_set()
    writer.close()


def test_writes_become_visible_without_an_explicit_flush(tmp_path):
    writer = events.EventFileWriter(str(tmp_path), flush_secs=0.2)
    writer.add_event(event_pb2.Event(step=7))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(_read_events(writer.path)) < 2:
        time.sleep(0.05)
    assert len(_read_events(writer.path)) == 2
    writer.close()


def test_a_failed_write_is_raised_to_the_caller_and_close_still_stops_the_writer(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))

    def broken(name, offset, length):
        raise OSError("disk full")

    writer.add_event_with_sidecar("plugins/p/b.tbs", b"data", broken)
    with pytest.raises(RuntimeError, match="failed"):
        writer.flush()
    with pytest.raises(RuntimeError, match="failed"):
        writer.add_event(event_pb2.Event(step=1))
    with pytest.raises(RuntimeError, match="failed"):
        writer.close()
    assert not writer._thread.is_alive()
    assert writer._file.closed
    writer.close()  # a second close is a no-op


def test_close_while_other_threads_write_loses_nothing_it_accepted(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    accepted = []

    def log(thread: int):
        for step in range(200):
            try:
                writer.add_event(event_pb2.Event(step=thread * 1000 + step))
            except RuntimeError:  # closed
                return
            accepted.append(thread * 1000 + step)

    threads = [threading.Thread(target=log, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    writer.close()
    for t in threads:
        t.join()
    steps = [event_pb2.Event.FromString(r).step for r in _read_events(writer.path)[1:]]
    assert sorted(steps) == sorted(accepted)
