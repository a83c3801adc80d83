"""`tbs.log_token_predictions`: what is stored, and named errors with nothing written for bad input."""

import os

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.tokens.metadata import PLUGIN_NAME
from tests.tokens.helpers import WORDS, word_tokenizer


def _log(logdir, *args, **kwargs):
    with tbs.Writer(str(logdir)) as writer:
        tbs.log_token_predictions(writer, "lm", *args, **kwargs)
    return read_records(logdir, PLUGIN_NAME)


def test_stores_reductions_matching_hugging_face_loss(tmp_path):
    torch.manual_seed(0)
    logits = torch.randn(3, 9, 13, dtype=torch.float64).float()
    ids = torch.randint(0, 13, (3, 9))
    (records,) = _log(tmp_path, logits, ids, step=4, k=5).values()
    meta, arrays = records[4]
    assert (meta["batch"], meta["length"], meta["k"], meta["vocab_size"]) == (3, 9, 5, 13)
    # Hugging Face causal-LM loss: logits[:, :-1] against ids[:, 1:].
    per_token = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, 13), ids[:, 1:].reshape(-1), reduction="none"
    )
    assert meta["loss"] == pytest.approx(per_token.mean().item(), rel=1e-5)
    assert meta["perplexity"] == pytest.approx(np.exp(per_token.mean().item()), rel=1e-5)
    np.testing.assert_allclose(meta["seq_loss"], per_token.view(3, 8).mean(1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(arrays["loss"][:, :-1], per_token.view(3, 8).numpy(), rtol=1e-5)
    assert np.isnan(arrays["loss"][:, -1]).all() and (arrays["rank"][:, -1] == 0).all()
    np.testing.assert_array_equal(arrays["targets"][:, :-1], ids[:, 1:].numpy())
    probs = torch.softmax(logits, -1)
    top = torch.topk(probs, 5, -1)
    np.testing.assert_array_equal(arrays["topk_ids"], top.indices.numpy())
    np.testing.assert_allclose(arrays["topk_probs"], top.values.numpy(), atol=1e-3)  # stored as float16
    np.testing.assert_allclose(arrays["entropy"], -(probs * probs.log()).sum(-1).numpy(), rtol=1e-5)
    assert "vocab" not in meta and set(arrays["vocab_ids"]) >= set(ids.flatten().tolist())


def test_numpy_logits_labels_and_mask(tmp_path):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 5, 8)).astype(np.float32)
    ids = np.array([[1, 2, 3, 4, 5], [6, 7, 0, 0, 0]])
    labels = np.array([[-100, -100, 3, 4, 5], [6, 7, 0, 0, 0]])
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
    (records,) = _log(tmp_path, logits, ids, step=0, k=3, labels=labels, attention_mask=mask).values()
    meta, arrays = records[0]
    assert arrays["targets"].tolist() == [[-1, 3, 4, 5, -1], [7, -1, -1, -1, -1]]
    assert arrays["mask"].tolist() == mask.tolist()
    assert meta["num_targets"] == 4
    assert (arrays["topk_ids"][1, 2:] == -1).all() and np.isnan(arrays["entropy"][1, 2:]).all()
    expected = -np.log(np.exp(logits[1, 0, 7]) / np.exp(logits[1, 0]).sum())
    assert meta["seq_loss"][1] == pytest.approx(expected, rel=1e-5)


def test_single_sequence_and_tokenizer_text(tmp_path):
    tokenizer = word_tokenizer()
    ids = torch.tensor(tokenizer("the cat sat on the mat")["input_ids"])
    logits = torch.randn(len(ids), len(WORDS))
    (records,) = _log(tmp_path, logits, ids, step=1, k=4, tokenizer=tokenizer).values()
    meta, arrays = records[1]
    vocab = dict(zip(arrays["vocab_ids"].tolist(), meta["vocab"]))
    assert [vocab[i] for i in ids.tolist()] == "the cat sat on the mat".split()
    assert set(meta["special_ids"]) <= {0, 1, 2} and arrays["input_ids"].shape == (1, 6)


def test_sentencepiece_pieces_keep_their_leading_space():
    from tb_suite.tokens.summary import decode_tokens

    class Pieces:
        def batch_decode(self, ids, **kwargs):
            return [{0: "the", 1: "cat"}[i[0]] for i in ids]

        def convert_ids_to_tokens(self, ids):
            return [{0: "\u2581the", 1: "cat"}[i] for i in ids]

    assert decode_tokens(Pieces(), np.array([0, 1])) == [" the", "cat"]


def _bad_inputs():
    logits = torch.randn(2, 4, 6)
    ids = torch.randint(0, 6, (2, 4))
    nan_logits = logits.clone()
    nan_logits[1, 2, 3] = float("nan")
    big_ids = ids.clone()
    big_ids[0, 0] = 6
    return [
        ("logits", (logits[0, 0], ids), {}),
        ("input_ids", (logits, ids[:, :3]), {}),
        ("input_ids", (logits, ids.float()), {}),
        ("labels", (logits, ids), {"labels": ids[:1]}),
        ("attention_mask", (logits, ids), {"attention_mask": torch.ones(2, 5)}),
        ("attention_mask", (logits, ids), {"attention_mask": torch.full((2, 4), 2)}),
        ("input_ids", (logits, big_ids), {}),
        ("labels", (logits, ids), {"labels": torch.full((2, 4), 6)}),
        ("labels", (logits, ids), {"labels": torch.full((2, 4), -5)}),
        ("k", (logits, ids), {"k": 7}),
        ("k", (logits, ids), {"k": 0}),
        ("k", (logits, ids), {"k": 2.0}),
        ("NaN", (nan_logits, ids), {}),
        ("logits", ([[0.1]], ids), {}),
        ("step", (logits, ids), {"step": -1}),
        ("tag", (logits, ids), {"tag": ""}),
    ]


@pytest.mark.parametrize("name,args,kwargs", _bad_inputs())
def test_bad_input_raises_a_named_error_and_writes_nothing(tmp_path, name, args, kwargs):
    kwargs = {"step": 0, "k": 3, **kwargs}
    tag = kwargs.pop("tag", "lm")
    writer = tbs.Writer(str(tmp_path / "run"))
    with pytest.raises((ValueError, TypeError), match=name):
        tbs.log_token_predictions(writer, tag, *args, **kwargs)
    writer.close()
    assert not os.path.exists(tmp_path / "run") or not os.listdir(tmp_path / "run")


def test_nan_in_padding_is_not_an_error(tmp_path):
    logits = torch.randn(1, 4, 6)
    logits[0, 3] = float("nan")
    ids = torch.tensor([[1, 2, 3, 0]])
    (records,) = _log(tmp_path, logits, ids, step=0, k=2, attention_mask=torch.tensor([[1, 1, 1, 0]])).values()
    assert records[0][0]["num_targets"] == 2


def test_bytes_per_position_meet_the_goal(tmp_path):
    k = 20
    logits = torch.randn(4, 128, 5000)
    ids = torch.randint(0, 5000, (4, 128))
    with tbs.Writer(str(tmp_path)) as writer:
        tbs.log_token_predictions(writer, "lm", logits, ids, step=0, k=k)
    stored = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(tmp_path) for f in files)
    assert stored / (4 * 128) <= 8 * k + 16


def test_other_ranks_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    with tbs.Writer(str(tmp_path / "run")) as writer:
        tbs.log_token_predictions(writer, "lm", torch.randn(1, 4, 6), torch.tensor([[1, 2, 3, 4]]), step=0, k=2)
    assert not os.path.exists(tmp_path / "run") or not os.listdir(tmp_path / "run")
