"""Writers across `fork` (issue 8.3): a Writer goes on in a forked child (DataLoader workers, multiprocessing) in
an event file of the child's own; nothing hangs, nothing is dropped, and a fork never catches the writer thread
halfway through an import."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import torch

import tb_suite as tbs
from tb_suite.core import events
from tb_suite.core.reader import read_records
from tests.helpers import accumulator

FORK = multiprocessing.get_context("fork")


def _scalar_steps(run_dir, tag):
    return [e.step for e in accumulator(run_dir).Tensors(tag)]


def _run_child(target, *args, timeout=60):
    child = FORK.Process(target=target, args=args)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        raise AssertionError(f"the child hung for {timeout} s")
    assert child.exitcode == 0, child.exitcode


def _log_in_child(writer):
    for step in range(30):
        writer.write_scalar("child", float(step), step)
    writer.flush()
    for step in range(30, 60):  # not flushed: the child's normal exit must keep these too
        writer.write_record("tbs_x", "child_record", step, {"step": step}, {"a": np.arange(step)}, content={})


def test_a_writer_used_in_a_forked_child_writes_a_file_of_its_own(tmp_path):
    writer = tbs.Writer(tmp_path)
    writer.write_scalar("parent", 0.0, 0)
    writer.write_record("tbs_x", "parent_record", 0, {}, {"a": np.arange(10_000)}, content={})  # a sidecar
    writer.flush()
    _run_child(_log_in_child, writer)
    writer.write_scalar("parent", 1.0, 1)
    writer.close()
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2
    assert _scalar_steps(tmp_path, "parent") == [0, 1]
    assert _scalar_steps(tmp_path, "child") == list(range(30))
    records = read_records(tmp_path, "tbs_x")
    assert sorted(records["child_record"]) == list(range(30, 60))
    assert all(records["child_record"][s][0] == {"step": s} for s in range(30, 60))
    np.testing.assert_array_equal(records["parent_record"][0][1]["a"], np.arange(10_000))


class _LoggingDataset(torch.utils.data.Dataset):
    def __init__(self, writer):
        self.writer = writer

    def __len__(self):
        return 12

    def __getitem__(self, index):
        worker = torch.utils.data.get_worker_info().id
        self.writer.write_scalar(f"worker{worker}/item", float(index), index)
        return index


def test_dataloader_workers_log_through_the_parents_writer(tmp_path):
    writer = tbs.Writer(tmp_path)
    writer.write_scalar("main", 0.0, 0)
    loader = torch.utils.data.DataLoader(
        _LoggingDataset(writer), batch_size=None, num_workers=2, multiprocessing_context=FORK
    )
    assert sorted(int(i) for i in loader) == list(range(12))
    writer.close()
    steps = _scalar_steps(tmp_path, "worker0/item") + _scalar_steps(tmp_path, "worker1/item")
    assert sorted(steps) == list(range(12))
    assert _scalar_steps(tmp_path, "main") == [0]


SLOW_MODULE = textwrap.dedent(
    """
    import os, pathlib, time
    pathlib.Path(os.environ["TBS_TEST_IMPORT_STARTED"]).touch()
    time.sleep(1.0)
    VALUE = 42
    """
)


def _import_and_write(run_dir, module_name):
    module = __import__(module_name)
    with tbs.Writer(run_dir) as writer:
        writer.write_scalar("value", float(module.VALUE), 0)


def test_a_fork_waits_for_an_import_on_the_writer_thread(tmp_path, monkeypatch):
    module_name = "tbs_test_slow_import"
    (tmp_path / f"{module_name}.py").write_text(SLOW_MODULE)
    started = tmp_path / "started"
    monkeypatch.setenv("TBS_TEST_IMPORT_STARTED", str(started))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        writer = tbs.Writer(tmp_path / "parent")

        def make_record():  # runs on the writer thread, like log_attention's rollout importing torch
            return {"value": __import__(module_name).VALUE}, {}

        writer.write_record_later("tbs_x", "t", 0, make_record, content={})
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started.exists()
        _run_child(_import_and_write, tmp_path / "child", module_name)
        writer.close()
    finally:
        sys.modules.pop(module_name, None)
    assert read_records(tmp_path / "parent", "tbs_x")["t"][0][0] == {"value": 42}
    assert [e.tensor_proto.float_val[0] for e in accumulator(tmp_path / "child").Tensors("value")] == [42.0]


def test_an_event_writer_of_the_parent_refuses_work_in_the_child(tmp_path):
    event_writer = events.EventFileWriter(str(tmp_path))
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code, never return into pytest
        code = 3
        try:
            event_writer.flush()
            code = 1
        except RuntimeError as error:
            code = 0 if "fork" in str(error) else 2
        finally:
            event_writer.close()  # a no-op in the child
            os._exit(code)
    deadline = time.monotonic() + 30
    while (result := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    done, status = result
    if done == 0:  # still running
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise AssertionError("the child hung")
    assert os.waitstatus_to_exitcode(status) == 0
    event_writer.flush()  # the parent's writer goes on
    event_writer.close()


CHILD_IMPORTS_TORCH = textwrap.dedent(
    """
    import multiprocessing, sys, time
    import numpy as np
    import tb_suite as tbs

    def child(run_dir):
        import torch
        with tbs.Writer(run_dir) as writer:
            writer.write_scalar("child", float(torch.ones(1).item()), 0)

    if __name__ == "__main__":
        assert "torch" not in sys.modules
        writer = tbs.Writer(sys.argv[1] + "/parent")
        tbs.log_attention(writer, "enc", [np.full((1, 2, 4, 4), 0.25, np.float32)], tokens=list("abcd"), step=0)
        while "torch" not in sys.modules:  # the writer thread is importing torch (for the rollout)
            time.sleep(0.001)
        process = multiprocessing.get_context("fork").Process(target=child, args=(sys.argv[1] + "/child",))
        process.start()
        process.join(60)
        if process.is_alive():
            process.kill()
        writer.close()
        sys.exit(0 if process.exitcode == 0 else 1)
    """
)


def test_a_child_importing_torch_while_the_writer_thread_imports_it(tmp_path):
    """The issue's case: numpy attention logged in a process without torch, whose rollout imports torch on
    the writer thread; a child forked meanwhile imports torch itself and writes (it used to hang)."""
    script = tmp_path / "script.py"
    script.write_text(CHILD_IMPORTS_TORCH)
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, timeout=120)
    assert sorted(read_records(tmp_path / "parent", "tbs_attention")["enc"]) == [0]
    assert [e.tensor_proto.float_val[0] for e in accumulator(tmp_path / "child").Tensors("child")] == [1.0]
