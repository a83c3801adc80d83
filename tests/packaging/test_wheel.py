"""The wheel built by `python -m build` carries every plugin's frontend and entry point."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_every_plugins_frontend_and_entry_point(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("tb_suite-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    families = sorted(p.name for p in (ROOT / "frontend/src/plugins").iterdir() if p.is_dir())
    assert "predictions" in families
    for family in families:
        assert f"tb_suite/_frontend/{family}/index.js" in names, family
    entry_points = (
        zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    )
    assert (
        "[tensorboard_plugins]" in entry_points and "tbs_predictions = tb_suite.entry:PredictionsLoader" in entry_points
    )
    assert not any("node_modules" in n or n.endswith(".tsx") for n in names)
