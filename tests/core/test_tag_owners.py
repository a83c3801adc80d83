"""One tag holds one family's data in a run (issue 8.2): TensorBoard keeps one plugin metadata per (run, tag),
so a second family on the tag raises ValueError naming the tag and the owner, before writing."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import tb_suite as tbs
from tb_suite.core.reader import read_records
from tb_suite.core.writer import as_writer
from tests.helpers import accumulator


def _attention(writer, tag="probe", step=0):
    weights = np.full((1, 2, 4, 4), 0.25, np.float32)  # [batch, heads, query, key], rows sum to 1
    tbs.log_attention(writer, tag, [weights], tokens=["a", "b", "c", "d"], step=step)


def _tokens(writer, tag="probe", step=0):
    logits = torch.randn(1, 5, 7, generator=torch.Generator().manual_seed(0))
    tbs.log_token_predictions(writer, tag, logits, torch.tensor([[1, 2, 3, 4, 5]]), step=step, k=3)


def test_a_second_family_on_a_tag_is_refused_and_the_first_survives(tmp_path):
    with tbs.Writer(tmp_path) as writer:
        _attention(writer, step=0)
        with pytest.raises(ValueError, match=r"tag 'probe' .*attention data"):
            _tokens(writer)
        _attention(writer, step=1)  # the owner goes on
        _tokens(writer, tag="lm")
    assert sorted(read_records(tmp_path, "tbs_attention")["probe"]) == [0, 1]
    assert list(read_records(tmp_path, "tbs_tokens")) == ["lm"]
    assert accumulator(tmp_path).SummaryMetadata("probe").plugin_data.plugin_name == "tbs_attention"


def test_the_other_order_names_the_tokens_family(tmp_path):
    with tbs.Writer(tmp_path) as writer:
        _tokens(writer)
        with pytest.raises(ValueError, match=r"tag 'probe' .*tokens data"):
            _attention(writer)
    assert list(read_records(tmp_path, "tbs_tokens")) == ["probe"]
    assert read_records(tmp_path, "tbs_attention") == {}


def test_plain_scalars_and_families_do_not_share_a_tag(tmp_path):
    with tbs.Writer(tmp_path / "a") as writer:
        writer.write_scalar("probe", 1.0, 0)
        with pytest.raises(ValueError, match=r"tag 'probe' .*scalars data"):
            _attention(writer)
    with tbs.Writer(tmp_path / "b") as writer:
        _attention(writer)
        with pytest.raises(ValueError, match=r"tag 'probe' .*attention data"):
            writer.write_scalar("probe", 1.0, 0)


def test_every_writer_of_the_run_in_this_process_knows_the_owner(tmp_path):
    first, second = tbs.Writer(tmp_path), tbs.Writer(str(tmp_path) + "/")
    _attention(first)
    with pytest.raises(ValueError, match="probe"):
        _tokens(second)
    with pytest.raises(ValueError, match="probe"):
        _tokens(str(tmp_path))  # the shared Writer of log_*(path, ...)
    as_writer(str(tmp_path)).close()
    first.close()
    second.close()
    assert read_records(tmp_path, "tbs_tokens") == {}


def test_tags_written_by_an_earlier_process_are_found_on_disk(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import tb_suite as tbs
        with tbs.Writer(sys.argv[1]) as writer:
            writer.write_record("tbs_attention", "probe", 0, {}, {"a": np.ones(3)}, content={})
            writer.write_scalar("loss", 0.5, 0)
        """
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=60)
    files = sorted(tmp_path.glob("events.out.tfevents.*"))
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(ValueError, match=r"tag 'probe' .*attention data"):
            writer.write_record("tbs_tokens", "probe", 1, {}, {"a": np.ones(3)}, content={})
        with pytest.raises(ValueError, match=r"tag 'loss' .*scalars data"):
            writer.write_record_later("tbs_tokens", "loss", 1, lambda: ({}, {}), content={})
    assert sorted(tmp_path.glob("events.out.tfevents.*")) == files  # nothing written, not even a file
    assert read_records(tmp_path, "tbs_tokens") == {}
