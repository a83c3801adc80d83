"""Issue 13 item 11: the repository carries the license it declares, and `make demo` moves to the next free
port (and prints it) when the asked one is taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_license_file_is_the_apache_2_license_pyproject_declares():
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 170  # the full text


def test_make_demo_uses_the_next_free_port_when_the_port_is_taken(tmp_path):
    import tb_suite as tbs

    with tbs.Writer(str(tmp_path / "run")) as writer:
        writer.write_scalar("loss", 1.0, 0)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        # -o demo-logdir: serve the logdir made here instead of training the demos
        process = subprocess.Popen(
            ["make", "-s", "-o", "demo-logdir", "demo", f"PORT={taken}", f"DEMO_LOGDIR={tmp_path}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            lines = [process.stdout.readline(), process.stdout.readline()]
            assert lines[0].startswith(f"port {taken} is taken: using ")
            url = next(line.split("open ")[1].strip() for line in lines if "open http" in line)
            port = int(url.rsplit(":", 1)[1].strip("/"))
            assert port > taken
            for _ in range(200):
                try:
                    with urllib.request.urlopen(f"{url}data/runs", timeout=2) as response:
                        assert "run" in response.read().decode()
                        break
                except OSError:
                    if process.poll() is not None:
                        raise AssertionError(process.stdout.read())
                    time.sleep(0.1)
            else:
                raise AssertionError("TensorBoard did not answer on the printed port")
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
