"""`tb-suite import seqviz`: seed-format JSONL files become tbs_tokens runs; bad files write nothing."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tb_suite.core.reader import read_records
from tb_suite.tokens.metadata import PLUGIN_NAME


def _prediction(position, target_id, target_str, top, *, entropy=1.5, key="top_20", short=False):
    items = [
        {"token_id": i, "token": s, "prob": p} if short else {"token_id": i, "token_str": s, "probability": p}
        for i, s, p in top
    ]
    return {
        "position": position,
        "target_token_id": target_id,
        "target_token_str": target_str,
        key: items,
        "entropy": entropy,
    }


def _entry(step, loss, sharp):
    return {
        "timestamp": 1234567890.0 + step,
        "step": step,
        "loss": loss,
        "perplexity": math.exp(loss),
        "sequences": [
            {
                "tokens": ["To", " be", " or"],
                "predictions": [
                    _prediction(0, 387, " be", [(387, " be", sharp), (11, ",", 0.1)]),
                    _prediction(1, 477, " or", [(11, ",", 0.5), (9, " is", 0.2)], key="top_k", short=True),
                ],
            },
            {"tokens": ["Hi"], "predictions": []},
        ],
        "metadata": {"model_name": "m", "vocab_size": 1000, "batch_size": 2, "sequence_length": 3},
    }


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tb_suite.cli", *args], capture_output=True, text=True, timeout=120)


def test_import_writes_one_run_per_file(tmp_path):
    path = tmp_path / "training_viz.jsonl"
    path.write_text("\n".join(json.dumps(_entry(s, 3.0 - s / 100, 0.3 + s / 1000)) for s in (100, 0, 200)) + "\n")
    result = _cli("import", "seqviz", str(path), "--logdir", str(tmp_path / "logs"))
    assert result.returncode == 0, result.stderr
    records = read_records(tmp_path / "logs" / "training_viz", PLUGIN_NAME)["seqviz"]
    assert sorted(records) == [0, 100, 200]
    meta, arrays = records[100]
    assert meta["loss"] == pytest.approx(2.0) and meta["perplexity"] == pytest.approx(math.exp(2.0))
    assert (meta["batch"], meta["length"], meta["k"], meta["vocab_size"]) == (2, 3, 2, 1000)
    vocab = dict(zip(arrays["vocab_ids"].tolist(), meta["vocab"]))
    assert [vocab[i] for i in arrays["input_ids"][0]] == ["To", " be", " or"]
    assert arrays["input_ids"][0, 0] < 0 and arrays["input_ids"][0, 1:].tolist() == [387, 477]
    assert arrays["mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert arrays["targets"][0].tolist() == [387, 477, -1]
    assert arrays["topk_ids"][0, 0].tolist() == [387, 11] and arrays["topk_ids"][0, 1].tolist() == [11, 9]
    np.testing.assert_allclose(arrays["topk_probs"][0, 0], [0.4, 0.1], atol=1e-3)
    assert arrays["loss"][0, 0] == pytest.approx(-math.log(0.4), rel=1e-6) and arrays["rank"][0, 0] == 1
    assert np.isnan(arrays["loss"][0, 1]) and arrays["rank"][0, 1] == 0  # target not in the stored top-k
    assert arrays["entropy"][0, 0] == pytest.approx(1.5) and np.isnan(arrays["entropy"][1, 0])


@pytest.mark.parametrize(
    "broken,line,message",
    [
        ("{not json", 2, "not valid JSON"),
        (json.dumps({"sequences": []}), 2, "step: missing"),
        (json.dumps({**_entry(5, 1.0, 0.5), "step": -3}), 2, "step: must be an integer >= 0"),
        (
            json.dumps({"step": 1, "sequences": [{"tokens": ["a"], "predictions": [{"position": 4, "top_20": []}]}]}),
            2,
            "sequences[0].predictions[0].position: 4 is past the last token",
        ),
        (
            json.dumps(
                {
                    "step": 1,
                    "sequences": [
                        {
                            "tokens": ["a"],
                            "predictions": [
                                {"position": 0, "top_20": [{"token_id": 1, "token_str": "x", "probability": 1.5}]}
                            ],
                        }
                    ],
                }
            ),
            2,
            "top_20[0].probability: must be in [0, 1]",
        ),
        (
            json.dumps(
                {
                    "step": 1,
                    "sequences": [
                        {
                            "tokens": ["a"],
                            "predictions": [{"position": 0, "top_k": [{"token_id": 1, "probability": 0.5}]}],
                        }
                    ],
                }
            ),
            2,
            "top_k[0].token_str: missing (or 'token')",
        ),
        (
            json.dumps(
                {
                    "step": 1,
                    "sequences": [
                        {
                            "tokens": ["a"],
                            "predictions": [
                                {"position": 0, "top_k": [{"token_id": 3000000000, "token": "x", "probability": 0.5}]}
                            ],
                        }
                    ],
                }
            ),
            2,
            "top_k[0].token_id: must be a token id in [0, 2**31)",
        ),
    ],
)
def test_broken_file_names_the_line_and_writes_nothing(tmp_path, broken, line, message):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(_entry(0, 1.0, 0.5)) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_entry(0, 1.0, 0.5)) + "\n" + broken + "\n" + json.dumps(_entry(9, 1.0, 0.5)) + "\n")
    result = _cli("import", "seqviz", str(good), str(bad), "--logdir", str(tmp_path / "logs"))
    assert result.returncode == 2
    assert f"bad.jsonl:{line}:" in result.stderr and message in result.stderr, result.stderr
    assert not os.path.exists(tmp_path / "logs")
