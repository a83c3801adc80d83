"""Builds every plugin's frontend into tb_suite/_frontend before the wheel is assembled."""

import os
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class FrontendBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if os.environ.get("TBS_SKIP_FRONTEND_BUILD") == "1":
            return
        frontend = Path(self.root) / "frontend"
        if not (frontend / "package.json").exists():
            return  # building from an sdist whose frontend was prebuilt
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building tb-suite needs Node.js and npm (the frontend is built from source)")
        if not (frontend / "node_modules").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
        subprocess.run([npm, "run", "build"], cwd=frontend, check=True)
