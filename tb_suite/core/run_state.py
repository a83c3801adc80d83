"""What this process knows about each run it writes into: the one event file that all its `Writer`s of the
run share, which plugin owns each tag, and each tag's last step.

TensorBoard keeps one plugin metadata per (run, tag), so a tag holds one family's data: a second family on
the same tag would make the first unreadable. Its Rust data server (`--load_fast=true`) also reads a tag's
records as one stream in file order and takes a step that does not increase for a restart: it drops every
earlier record of the tag whose step is >= the new one (the Python loader keeps them all). One event file
per run and process keeps the file order the order of the calls; a call that goes back is warned about.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
import weakref
from collections.abc import Callable

from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from tb_suite.core import events, paths


class StepOrderWarning(UserWarning):
    """A tag received a step not above its last one: `--load_fast=true` will show fewer steps."""


def family_of(plugin_name: str) -> str:
    """The name users know a plugin by: its family ("tbs_attention" -> "attention"), or the plugin name."""
    return plugin_name.removeprefix("tbs_")


class RunState:
    """One run's shared event file, tag owners and last steps; every method is called under `lock`."""

    def __init__(self, logdir: str):
        self.logdir = logdir
        self.lock = threading.Lock()
        self.events: events.EventFileWriter | None = None
        self.users: weakref.WeakSet = weakref.WeakSet()
        self._owners: dict[str, str] | None = None  # read from earlier processes' files on first use
        self._last_steps: dict[str, int] = {}
        self._warned: set[str] = set()

    def open(self, user, make: Callable[[], events.EventFileWriter]) -> events.EventFileWriter:
        """The run's event file writer (made on first use), registering `user` as one of its users."""
        if self.events is None:
            self.events = make()
        self.users.add(user)
        return self.events

    def release(self, user) -> events.EventFileWriter | None:
        """Forget `user`; returns the event file writer to close when it was the last user."""
        if user not in self.users:
            return None
        self.users.discard(user)
        if len(self.users):
            return None
        events_writer, self.events = self.events, None
        return events_writer

    def check_owner(self, plugin_name: str, tag: str) -> None:
        """ValueError when `tag` already holds another plugin's data in this run."""
        if self._owners is None:
            self._owners = _owners_on_disk(self.logdir)
        owner = self._owners.get(tag)
        if owner is not None and owner != plugin_name:
            raise ValueError(
                f"tag {tag!r} of run {self.logdir} already holds {family_of(owner)} data (plugin {owner}); "
                f"TensorBoard keeps one plugin per run and tag, so {family_of(plugin_name)} data cannot share "
                "it: choose another tag"
            )

    def claim(self, plugin_name: str, tag: str, step: int) -> None:
        """Record that `tag` gets `plugin_name` data at `step` next (after `check_owner`), warning once per
        tag when the step does not increase."""
        self.check_owner(plugin_name, tag)
        self._owners[tag] = plugin_name
        last = self._last_steps.get(tag)
        self._last_steps[tag] = step
        if last is not None and step <= last and tag not in self._warned:
            self._warned.add(tag)
            warnings.warn(
                f"tag {tag!r} of run {self.logdir}: step {step} written after step {last}. TensorBoard's "
                f"--load_fast=true loader takes a step that does not increase for a restart and drops the "
                f"earlier records with step >= {step} (--load_fast=false keeps them): log each tag from one "
                "thread in increasing step order",
                StepOrderWarning,
                stacklevel=_first_frame_outside_tb_suite(),
            )

    def after_fork_in_child(self) -> None:
        # The parent's event file stays the parent's; the child opens its own on first use.
        self.lock = threading.Lock()
        self.events = None
        self.users = weakref.WeakSet()


def _first_frame_outside_tb_suite() -> int:
    """The `stacklevel` that points a warning raised by the caller at the user's line."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tb_suite."):
        frame, level = frame.f_back, level + 1
    return level


def _owners_on_disk(logdir: str) -> dict[str, str]:
    """tag -> plugin name, as the first metadata of each tag in the tb-suite event files already in
    `logdir` (earlier processes). Other writers' files are not read: they can be large."""
    owners: dict[str, str] = {}
    for path in events.list_event_files(logdir):
        try:
            with events.open_for_reading(path) as file:
                for record in events.read_frames(file):
                    for value in event_pb2.Event.FromString(record).summary.value:
                        plugin_name = value.metadata.plugin_data.plugin_name
                        if plugin_name:
                            owners.setdefault(value.tag, plugin_name)
        except (OSError, ValueError, DecodeError):  # unreadable or damaged: what was read so far still counts
            continue
    return owners


_states: dict[str, RunState] = {}
_states_lock = threading.Lock()


def run_state(logdir: str) -> RunState:
    """The one `RunState` of `logdir` in this process."""
    key = logdir.rstrip("/") if paths.is_remote(logdir) else os.path.realpath(logdir)
    with _states_lock:
        state = _states.get(key)
        if state is None:
            state = _states[key] = RunState(logdir)
        return state


def _after_fork_in_child() -> None:
    global _states_lock
    _states_lock = threading.Lock()
    for state in _states.values():
        state.after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
