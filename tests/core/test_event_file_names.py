"""Our event files never share a name with another writer's (issue 8.1): torch's SummaryWriter names its files
events.out.tfevents.<time>.<host>.<pid>.<counter from 0> and opens them truncating."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2

import tb_suite as tbs
from tb_suite.core import events
from tb_suite.core.reader import read_records
from tests.helpers import accumulator

# A fresh interpreter, so that both writers' counters start at 0 as in a user's script; both writers are
# opened within one second.
SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from torch.utils.tensorboard import SummaryWriter
    import tb_suite as tbs

    logdir, order = sys.argv[1], sys.argv[2]

    def ours():
        writer = tbs.Writer(logdir)
        writer.write_record("tbs_x", "ours", 0, {"v": 1}, {"a": np.arange(3)}, content={})
        writer.write_record("tbs_x", "ours_large", 0, {}, {"a": np.arange(10_000)}, content={})
        writer.flush()
        return writer

    def theirs():
        writer = SummaryWriter(logdir)
        writer.add_scalar("theirs", 2.5, 0)
        writer.flush()
        return writer

    while time.time() % 1 > 0.5:  # both writers open early in one second (the first try reproduced the loss)
        time.sleep(0.01)
    first, second = (ours, theirs) if order == "tbs-first" else (theirs, ours)
    a = first()
    b = second()
    if order == "tbs-first":
        b.add_scalar("theirs", 3.5, 1)
    else:
        a.add_scalar("theirs", 3.5, 1)
    a.close()
    b.close()
    """
)


@pytest.mark.parametrize("order", ["tbs-first", "summary-writer-first"])
def test_both_writers_data_survive_when_opened_in_the_same_second(tmp_path, order):
    run = tmp_path / "run"
    subprocess.run([sys.executable, "-c", SCRIPT, str(run), order], check=True, timeout=120)
    names = sorted(p.name for p in run.glob("events.out.tfevents.*"))
    assert len(names) == 2, names
    records = read_records(run, "tbs_x")
    assert records["ours"][0][0] == {"v": 1}
    np.testing.assert_array_equal(records["ours_large"][0][1]["a"], np.arange(10_000))
    acc = accumulator(run)
    assert [(e.step, e.value) for e in acc.Scalars("theirs")] == [(0, 2.5), (1, 3.5)]


def test_names_keep_tensorboards_pattern_and_never_repeat(tmp_path):
    names = {events.event_file_name() for _ in range(1000)}
    assert len(names) == 1000
    for name in names:
        parts = name.split(".")
        assert parts[:3] == ["events", "out", "tfevents"] and parts[3].isdigit() and len(parts[3]) == 10
        assert events.NAME_MARKER in name


def test_an_existing_file_is_never_opened_again(tmp_path, monkeypatch):
    taken = tmp_path / "events.out.tfevents.taken"
    theirs = event_pb2.Event(
        step=0, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="t", simple_value=7)])
    )
    taken.write_bytes(events.frame_record(theirs.SerializeToString()))
    before = taken.read_bytes()
    proposals = iter([taken.name, taken.name, "events.out.tfevents.free.tbs-1"])
    monkeypatch.setattr(events, "event_file_name", lambda suffix="": next(proposals))
    with tbs.Writer(tmp_path) as writer:
        writer.write_scalar("s", 1.0, 0)
    assert taken.read_bytes() == before
    acc = accumulator(tmp_path)
    assert [e.tensor_proto.float_val[0] for e in acc.Tensors("s")] == [1.0] and [e.value for e in acc.Scalars("t")] == [
        7.0
    ]
