"""Each family's record arrays are named once, in its metadata.py: docs/http_api.md and the tab's TypeScript
record reader name the same arrays."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# family -> the TypeScript module that reads its records' arrays
READERS = {
    "predictions": "frontend/src/plugins/predictions/record.ts",
    "tokens": "frontend/src/plugins/tokens/record.ts",
    "landscape": "frontend/src/plugins/landscape/App.tsx",  # record.ts hands the arrays on by name
    "layers": "frontend/src/plugins/layers/record.ts",
}
# family -> documented array-name templates (`fmap.<i>`) -> a name metadata.py makes for them
TEMPLATES = {"layers": {"fmap.<i>": lambda md: md.feature_map_array(3)}}
_TS_READS = [
    re.compile(r"\barrays\.(\w+)"),  # rec.arrays.name
    re.compile(r"\barrays\[\"(\w+)\"\]"),
    re.compile(r"\b(?:need|a)\(\"(\w+)\"\)"),  # the readers' required-array helpers
    re.compile(r"curveGetter\(rec, \"(\w+)\", \"(\w+)\", \"(\w+)\"\)"),
]


def documented_arrays(family: str) -> set[str]:
    """The names in the first column of the array tables of the family's section of docs/http_api.md."""
    text = (ROOT / "docs/http_api.md").read_text()
    section = re.search(rf"^## tbs_{family}\n(.*?)(?=^## |\Z)", text, re.S | re.M).group(1)
    names, header = set(), []
    lines = section.splitlines()
    for line, following in zip(lines, lines[1:] + [""]):
        if not line.startswith("|") or line.startswith("|-"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if following.startswith("|-"):
            header = cells
        elif header[-1] == "arrays":  # a table of record kinds whose last column lists `name` dtype `[shape]`
            names.update(re.findall(r"`(\w+)` (?:float|u?int)\d+", cells[-1]))
        elif (row := re.fullmatch(r"`([^`|]+)`", cells[0])) and not row.group(1).startswith("GET "):
            names.update(row.group(1).split())
    return names


def ts_arrays(path: str) -> set[str]:
    source = (ROOT / path).read_text()
    return {
        name
        for pattern in _TS_READS
        for match in pattern.findall(source)
        for name in ((match,) if isinstance(match, str) else match)
    }


@pytest.mark.parametrize("family", sorted(READERS))
def test_docs_and_typescript_name_the_arrays_of_metadata(family):
    md = importlib.import_module(f"tb_suite.{family}.metadata")
    arrays = set(md.ARRAYS)
    assert len(arrays) == len(md.ARRAYS)
    documented = documented_arrays(family)
    templates = {name for name in documented if "<" in name}
    assert documented - templates == arrays
    assert templates == set(TEMPLATES.get(family, {}))
    for template, make in TEMPLATES.get(family, {}).items():
        assert re.fullmatch(re.sub(r"<\w+>", r"\\d+", re.escape(template)), make(md)), template
    read = ts_arrays(READERS[family])
    assert read and read <= arrays, f"{READERS[family]} reads arrays metadata.py does not name: {read - arrays}"


def test_the_parsers_see_what_they_should():
    assert {"confusion", "roc_offsets", "pr_offsets", "thumbnails"} <= documented_arrays("predictions")
    read = ts_arrays(READERS["predictions"])
    assert {"confusion", "roc_fpr", "pr_offsets", "auc", "example_index", "thumbnails"} <= read
    assert ts_arrays(READERS["tokens"]) == set(importlib.import_module("tb_suite.tokens.metadata").ARRAYS)
    assert {"alpha", "offset", "value", "x", "trajectory"} <= documented_arrays("landscape")
    assert {"act_hist", "param_layer", "param_names", "fmap.<i>"} <= documented_arrays("layers")
    assert {"stats", "diagnoses"} <= ts_arrays(READERS["layers"])


def test_layers_reader_names_the_histograms_of_metadata():
    """record.ts reads a kind's histogram through its own kind -> array map: metadata.HISTOGRAMS's."""
    source = (ROOT / READERS["layers"]).read_text()
    mapping = re.search(r"export const HISTOGRAM\b[^=]*= \{([^}]*)\}", source).group(1)
    histograms = importlib.import_module("tb_suite.layers.metadata").HISTOGRAMS
    assert dict(re.findall(r"(\w+): \"(\w+)\"", mapping)) == histograms


def test_entry_points_name_the_plugins_as_their_metadata():
    """tb_suite/entry.py spells the plugin names itself (it imports nothing of the families, so a broken
    family cannot stop TensorBoard): they must be the families' `metadata.PLUGIN_NAME`."""
    import argparse

    from tb_suite import entry

    for family in ("predictions", "tokens", "landscape", "attention", "layers", "runs"):
        loader = getattr(entry, f"{family.capitalize()}Loader")
        flags = argparse.Namespace(samples_per_plugin={})
        loader().fix_flags(flags)
        assert importlib.import_module(f"tb_suite.{family}.metadata").PLUGIN_NAME in flags.samples_per_plugin, family
