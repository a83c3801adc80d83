"""`log_token_predictions`: the tokenizer and k are checked (named errors) before any reduction runs."""

import os

import pytest
import torch

import tb_suite as tbs
from tb_suite.tokens import compute
from tb_suite.tokens.summary import MAX_K


class DecodeOnly:
    def batch_decode(self, ids, **kwargs):
        return ["x" for _ in ids]


@pytest.fixture
def no_reduction(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the logits were reduced before the arguments were checked")

    monkeypatch.setattr(compute, "token_stats", refuse)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"tokenizer": object()}, TypeError, r"tokenizer must be a Hugging Face tokenizer .* got object"),
        ({"tokenizer": DecodeOnly()}, TypeError, r"tokenizer must be .* without convert_ids_to_tokens"),
        ({"tokenizer": "gpt2"}, TypeError, r"tokenizer must be"),
        ({"k": MAX_K + 1}, ValueError, rf"k must be <= {MAX_K} \(the documented limit, docs/limits.md\)"),
    ],
)
def test_checked_before_any_reduction(tmp_path, no_reduction, kwargs, error, match):
    logits, ids = torch.randn(2, 5, 300), torch.randint(0, 300, (2, 5))
    writer = tbs.Writer(str(tmp_path / "run"))
    with pytest.raises(error, match=match):
        tbs.log_token_predictions(writer, "lm", logits, ids, step=0, **kwargs)
    writer.close()
    assert not os.path.exists(tmp_path / "run") or not os.listdir(tmp_path / "run")
