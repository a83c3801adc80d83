"""Builds every plugin's frontend into tb_suite/_frontend before the wheel is assembled."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class FrontendBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if os.environ.get("TBS_SKIP_FRONTEND_BUILD") == "1":
            return
        frontend = Path(self.root) / "frontend"
        if not (frontend / "package.json").exists():
            return  # building from an sdist whose frontend was prebuilt
        output = Path(self.root) / "tb_suite" / "_frontend"
        read_only = [str(folder) for folder in (frontend, output.parent) if not _writable(folder)]
        if read_only:
            plugins = [p.name for p in (frontend / "src" / "plugins").iterdir() if p.is_dir()]
            if all((output / name / "index.js").exists() for name in plugins):
                self.app.display_warning(
                    f"tb-suite: {', '.join(read_only)} is read-only: using the frontend already built in {output}"
                )
                return
            raise RuntimeError(
                f"building tb-suite writes the frontend (frontend/node_modules, tb_suite/_frontend), but "
                f"{' and '.join(read_only)} cannot be written: copy the source tree somewhere writable, or build "
                f"the frontend first in a writable copy (`make build`) so tb_suite/_frontend is complete"
            )
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building tb-suite needs Node.js and npm (the frontend is built from source)")
        if not (frontend / "node_modules").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
        subprocess.run([npm, "run", "build"], cwd=frontend, check=True)


def _writable(folder: Path) -> bool:
    """Whether files can be created in `folder` (a read-only mount or a folder without write permission)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False
