"""Shared fixtures: a real `tensorboard` process serving a logdir, under either loader."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

TENSORBOARD_START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TensorBoard:
    """A running `tensorboard` on 127.0.0.1; `get`/`get_json` call its HTTP API."""

    def __init__(self, url: str, process: subprocess.Popen, log_path: Path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("Content-Type", "")

    def post(self, path: str, body: bytes, timeout: float = 60) -> tuple[int, bytes, str]:
        request = urllib.request.Request(self.url + path, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("Content-Type", "")

    def get_json(self, path: str):
        status, body, _ = self.get(path)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def plugin(self, plugin_name: str, route: str) -> str:
        return f"/data/plugin/{plugin_name}/{route}"

    def wait_for_tags(self, plugin_name: str, *, tab_name: str, runs: int, timeout: float = 60) -> dict:
        """Checks that `plugin_name` is listed, enabled, as tab `tab_name`; waits until its `tags` route lists
        `runs` runs and returns that answer."""
        listing = self.get_json("/data/plugins_listing")
        assert listing[plugin_name]["enabled"] and listing[plugin_name]["tab_name"] == tab_name
        return wait_for(
            lambda: (tags := self.get_json(self.plugin(plugin_name, "tags"))) and len(tags) == runs and tags,
            timeout=timeout,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def run_tensorboard(
    logdir, *, load_fast: bool, extra_args=(), env=None, tmp_path: Path | None = None, reload_interval: int | None = 1
):
    """Start `tensorboard` for `logdir` and wait until its HTTP API answers; stop it afterwards.
    `reload_interval=None` keeps TensorBoard's default (5 s)."""
    port = free_port()
    log_path = Path(tmp_path or logdir) / f"tensorboard-{port}.log"
    command = [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        str(logdir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--load_fast",
        "true" if load_fast else "false",
        *(["--reload_interval", str(reload_interval)] if reload_interval is not None else []),
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server = TensorBoard(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + TENSORBOARD_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tensorboard exited with {process.returncode}:\n{server.log()}")
            with contextlib.suppress(OSError):
                if server.get("/data/plugins_listing", timeout=5)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"tensorboard did not start:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate, timeout: float = 60, interval: float = 0.5):
    """Poll `predicate` until it returns a truthy value (returned) or `timeout` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Every test runs torch on one thread (the machine's cores are shared); acts only where torch is already
    imported, so tests of the server side keep proving that they never import it."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tensorboard_server(tmp_path):
    """`tensorboard_server(logdir, load_fast=...)` -> a started `TensorBoard`, stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(logdir, load_fast: bool = True, **kwargs) -> TensorBoard:
            return stack.enter_context(run_tensorboard(logdir, load_fast=load_fast, tmp_path=tmp_path, **kwargs))

        yield start


FRONTEND = Path(__file__).resolve().parents[1] / "tb_suite" / "_frontend"


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the whole session (Playwright's sync API allows one at a time)."""
    from tests.browser.browser_helpers import CHROMIUM, launch_chromium

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: run `make chromium`")
    if not any(FRONTEND.glob("*/index.js")):
        pytest.fail(f"no built frontend in {FRONTEND}: run `make build`")
    with sync_api.sync_playwright() as playwright:
        context = launch_chromium(playwright)
        yield context
        context.close()


@pytest.fixture
def page(chromium):
    """A new tab that fails the test on any page error or dialog (an executed alert() included)."""
    page = chromium.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    page.close()
    assert not problems, problems
