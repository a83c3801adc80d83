"""Issue 13 item 11: building from a read-only source tree says so clearly (no npm ENOENT), and uses a
frontend that was already built there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _source_copy(tmp_path: Path, *, prebuilt: bool) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "tb_suite", src / "tb_suite", ignore=shutil.ignore_patterns("_frontend", "__pycache__"))
    (src / "frontend").mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / "frontend" / name, src / "frontend" / name)
    shutil.copytree(ROOT / "frontend" / "src", src / "frontend" / "src")
    if prebuilt:
        shutil.copytree(ROOT / "tb_suite" / "_frontend", src / "tb_suite" / "_frontend")
    return src


def _build_read_only(src: Path, out: Path) -> subprocess.CompletedProcess:
    """`python -m build --wheel` with `src` mounted read-only (root may write anywhere, so chmod is not enough)."""
    build = f"{sys.executable} -m build --wheel --no-isolation --outdir {out} {src}"
    script = f"mount --bind {src} {src} && mount -o remount,bind,ro {src} && {build}"
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)


@pytest.fixture
def can_mount_read_only(tmp_path):
    probe = tmp_path / "probe"
    probe.mkdir()
    result = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            f"mount --bind {probe} {probe} && mount -o remount,bind,ro {probe} && touch {probe}/x",
        ],
        capture_output=True,
        text=True,
    )
    if shutil.which("unshare") is None or "Read-only file system" not in result.stderr:
        pytest.skip("needs unshare and mount to make a read-only source tree")


def test_read_only_tree_without_a_built_frontend_fails_with_a_clear_message(tmp_path, can_mount_read_only):
    result = _build_read_only(_source_copy(tmp_path, prebuilt=False), tmp_path / "out")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "cannot be written: copy the source tree somewhere writable" in output
    assert "ENOENT" not in output


def test_read_only_tree_with_a_built_frontend_uses_it(tmp_path, can_mount_read_only):
    result = _build_read_only(_source_copy(tmp_path, prebuilt=True), tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "read-only: using the frontend already built" in result.stdout + result.stderr
    (wheel,) = (tmp_path / "out").glob("tb_suite-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tb_suite/_frontend/predictions/index.js" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
