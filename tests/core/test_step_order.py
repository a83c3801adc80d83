"""One tag from several Writers or threads (issue 8.4). TensorBoard's Rust data server (--load_fast=true) reads a
tag's records as one stream in file order and takes a step that does not increase for a restart, dropping the
earlier records with steps >= it (tensorboard/data/server/reservoir.rs, "Preemption"). Two event files of one
run are read one after the other, so two Writers with a file each lost about half their steps. The Writers of a
run in one process now share one event file; a step that goes back is warned about."""

import re
import threading
import warnings

import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core.run_state import StepOrderWarning
from tests.conftest import wait_for

STEPS = list(range(40))


@pytest.mark.parametrize("load_fast", [True, False])
def test_two_writers_of_one_run_show_every_step_under_both_loaders(tmp_path, tensorboard_server, load_fast):
    logdir = tmp_path / "logs"
    first, second = tbs.Writer(logdir / "r"), tbs.Writer(logdir / "r")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StepOrderWarning)  # the calls' steps increase: no warning
        for step in STEPS:
            writer = first if step % 2 == 0 else second
            writer.write_scalar("loss", float(step), step)
            tbs.log_head_stats(writer, "heads", step=step, entropy=np.full((2, 3), step / 40))
    first.close()
    second.close()
    server = tensorboard_server(logdir, load_fast=load_fast)

    def listed():
        status, body, _ = server.get("/data/plugin/scalars/scalars?run=r&tag=loss")
        tags = server.get_json("/data/plugin/tbs_attention/tags")
        return status == 200 and "heads" in tags.get("r", {}) and (body, tags["r"]["heads"]["steps"])

    wait_for(listed, timeout=60)
    wait_for(lambda: server.get_json("/data/plugin/tbs_attention/tags")["r"]["heads"]["steps"] == STEPS, timeout=10)
    scalars = server.get_json("/data/plugin/scalars/scalars?run=r&tag=loss")
    assert [(point[1], point[2]) for point in scalars] == [(s, float(s)) for s in STEPS]


def test_a_step_going_back_from_another_thread_is_warned_about_once(tmp_path):
    writer = tbs.Writer(tmp_path)
    later_written = threading.Event()

    def later():
        writer.write_scalar("loss", 1.0, 20)
        later_written.set()

    thread = threading.Thread(target=later)
    thread.start()
    later_written.wait(10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer.write_scalar("loss", 1.0, 3)
        writer.write_scalar("loss", 1.0, 2)  # once per tag
        tbs.log_head_stats(writer, "heads", step=5, entropy=np.ones((1, 1)))
        tbs.log_head_stats(writer, "heads", step=5, entropy=np.ones((1, 1)))  # the same step again
    thread.join()
    writer.close()
    messages = [str(w.message) for w in caught if issubclass(w.category, StepOrderWarning)]
    assert len(messages) == 2, messages
    assert re.match(r"tag 'loss' .*step 3 written after step 20.*--load_fast=true", messages[0])
    assert re.match(r"tag 'heads' .*step 5 written after step 5", messages[1])


def test_increasing_steps_from_two_threads_in_turn_are_not_warned_about(tmp_path):
    writer = tbs.Writer(tmp_path)
    turn = threading.Condition()
    next_step = [0]

    def log(parity):
        for step in range(parity, 20, 2):
            with turn:
                turn.wait_for(lambda: next_step[0] == step)
                writer.write_scalar("loss", float(step), step)
                next_step[0] += 1
                turn.notify_all()

    with warnings.catch_warnings(record=True) as caught:  # records the threads' warnings too
        warnings.simplefilter("always")
        threads = [threading.Thread(target=log, args=(p,)) for p in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    writer.close()
    assert next_step[0] == 20
    assert not [w for w in caught if issubclass(w.category, StepOrderWarning)]
