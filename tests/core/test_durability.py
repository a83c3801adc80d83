"""What survives the end of a process (issue 8.5), as docs/storage.md states it: everything before a returned
flush(); everything on a normal exit without close(), multiprocessing children included; after a SIGKILL,
everything logged more than flush_secs before it; and a write that failed is reported at exit, not dropped."""

import multiprocessing
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.reader import read_records

PRELUDE = textwrap.dedent(
    """
    import os, signal, sys, time
    import numpy as np
    import tb_suite as tbs

    writer = tbs.Writer(sys.argv[1], flush_secs=float(sys.argv[2]))

    def log(steps):
        for step in steps:
            size = 10_000 if step % 2 else 3  # odd steps go to the sidecar
            writer.write_record("tbs_x", "t", step, {"step": step}, {"a": np.arange(size)}, content={})
    """
)


def _run(tmp_path, body: str, flush_secs: float = 1.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), str(tmp_path), str(flush_secs)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _steps(tmp_path) -> list[int]:
    records = read_records(tmp_path, "tbs_x").get("t", {})
    for step, (meta, arrays) in records.items():
        assert meta == {"step": step}
        np.testing.assert_array_equal(arrays["a"], np.arange(10_000 if step % 2 else 3))
    return sorted(records)


def test_flush_then_sigkill_keeps_everything(tmp_path):
    result = _run(tmp_path, "log(range(50)); writer.flush(); os.kill(os.getpid(), signal.SIGKILL)")
    assert result.returncode == -signal.SIGKILL
    assert _steps(tmp_path) == list(range(50))


@pytest.mark.parametrize(
    "ending, returncode",
    [("pass", 0), ("sys.exit(3)", 3), ("raise RuntimeError('training failed')", 1)],
)
def test_a_normal_exit_without_close_keeps_everything(tmp_path, ending, returncode):
    result = _run(tmp_path, f"log(range(50))\n{ending}")
    assert result.returncode == returncode, result.stderr
    assert _steps(tmp_path) == list(range(50))


def test_sigkill_loses_at_most_the_last_flush_interval(tmp_path):
    result = _run(tmp_path, "log(range(20)); time.sleep(2.0); log([20]); os.kill(os.getpid(), signal.SIGKILL)", 0.2)
    assert result.returncode == -signal.SIGKILL
    assert _steps(tmp_path)[:20] == list(range(20))


def _log_and_return(run_dir_or_writer):
    writer = tbs.Writer(run_dir_or_writer) if isinstance(run_dir_or_writer, str) else run_dir_or_writer
    assert isinstance(run_dir_or_writer, str) or writer._flush_secs == 5.0  # the settings came along
    for step in range(20):
        writer.write_record("tbs_x", "t", step, {"step": step}, {"a": np.arange(10_000 if step % 2 else 3)}, content={})


@pytest.mark.parametrize("method, hand_over", [("fork", "path"), ("spawn", "path"), ("spawn", "writer")])
def test_a_multiprocessing_child_that_returns_without_close_keeps_everything(tmp_path, method, hand_over):
    target = str(tmp_path) if hand_over == "path" else tbs.Writer(tmp_path, flush_secs=5.0)  # pickled
    child = multiprocessing.get_context(method).Process(target=_log_and_return, args=(target,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert _steps(tmp_path) == list(range(20))


def test_a_write_that_failed_is_reported_at_exit(tmp_path):
    result = _run(tmp_path, "writer.write_record_later('tbs_x', 't', 0, lambda: 1 / 0, content={})")
    assert result.returncode == 0
    assert "tb-suite: writing" in result.stderr and "ZeroDivisionError" in result.stderr
