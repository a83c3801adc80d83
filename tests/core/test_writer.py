import numpy as np
import pytest

import tb_suite as tbs
from tb_suite.core import codec
from tb_suite.core.reader import read_records
from tb_suite.core.writer import INLINE_LIMIT, as_writer
from tests.helpers import accumulator


def test_small_records_are_inline_and_large_ones_in_a_sidecar(tmp_path):
    with tbs.Writer(tmp_path) as writer:
        writer.write_record("tbs_x", "small", 1, {"m": 1}, {"a": np.arange(3)}, content={"kind": "k"})
        writer.write_record("tbs_x", "large", 2, {}, {"a": np.arange(INLINE_LIMIT)}, content={})
    acc = accumulator(tmp_path)
    assert acc.Tensors("small")[0].tensor_proto.string_val[0].startswith(codec.MAGIC)
    assert acc.Tensors("large")[0].tensor_proto.string_val[0].startswith(codec.REF_MAGIC)
    assert acc.SummaryMetadata("small").data_class == 2  # DATA_CLASS_TENSOR
    records = read_records(tmp_path, "tbs_x")
    assert records["small"][1][0] == {"m": 1}
    np.testing.assert_array_equal(records["large"][2][1]["a"], np.arange(INLINE_LIMIT))


def test_scalars_appear_in_tensorboards_scalar_plugin(tmp_path):
    with tbs.Writer(tmp_path) as writer:
        for step in range(3):
            writer.write_scalar("val/accuracy", 0.5 + step / 10, step)
    acc = accumulator(tmp_path)
    assert acc.SummaryMetadata("val/accuracy").plugin_data.plugin_name == "scalars"
    assert [e.step for e in acc.Tensors("val/accuracy")] == [0, 1, 2]


def test_torch_summary_writer_target_shares_its_run(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    summary_writer = SummaryWriter(str(tmp_path / "run"))
    summary_writer.add_scalar("loss", 1.0, 0)
    summary_writer.close()
    writer = tbs.Writer(summary_writer)
    assert writer.logdir == str(tmp_path / "run")
    writer.write_record("tbs_x", "t", 0, {}, {"a": np.ones(2)}, content={})
    writer.close()
    assert len(list((tmp_path / "run").glob("events.out.tfevents.*"))) == 2
    acc = accumulator(tmp_path / "run")
    assert set(acc.Tags()["tensors"]) >= {"t"} and "loss" in acc.Tags()["scalars"] + acc.Tags()["tensors"]


def test_lightning_logger_target_shares_its_run(tmp_path):
    from lightning.pytorch.loggers import TensorBoardLogger

    logger = TensorBoardLogger(str(tmp_path), name="exp")
    with tbs.Writer(logger) as writer:
        writer.write_record("tbs_x", "t", 0, {}, {"a": np.ones(2)}, content={})
    assert writer.logdir == logger.log_dir
    assert accumulator(logger.log_dir).Tags()["tensors"] == ["t"]


def test_other_ranks_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    with tbs.Writer(tmp_path / "r1") as writer:
        writer.write_record("tbs_x", "t", 0, {}, {"a": np.ones(2)}, content={})
        writer.write_scalar("s", 1.0, 0)
    assert not (tmp_path / "r1").exists()


def test_as_writer_shares_one_writer_per_run(tmp_path):
    first = as_writer(str(tmp_path / "a"))
    assert as_writer(str(tmp_path / "a")) is first
    assert as_writer(first) is first
    assert as_writer(str(tmp_path / "b")) is not first
    first.close()


@pytest.mark.parametrize("target, error", [(42, TypeError), (object(), TypeError)])
def test_bad_targets_are_refused(target, error):
    with pytest.raises(error, match="target"):
        tbs.Writer(target)


@pytest.mark.parametrize("tag, step, error", [("", 0, ValueError), ("t", -1, ValueError), ("t", 1.5, TypeError)])
def test_bad_tag_or_step_writes_nothing(tmp_path, tag, step, error):
    with tbs.Writer(tmp_path) as writer:
        with pytest.raises(error):
            writer.write_record("tbs_x", tag, step, {}, {}, content={})
    assert not list(tmp_path.glob("events.*"))


def test_remote_url_through_fsspec(tmp_path):
    import fsspec

    url = "memory://tbs-test/run"
    with tbs.Writer(url) as writer:
        writer.write_record("tbs_x", "t", 0, {}, {"a": np.arange(INLINE_LIMIT)}, content={})
    fs = fsspec.filesystem("memory")
    names = fs.find("/tbs-test/run")
    assert any("events.out.tfevents" in n for n in names)
    assert any(n.endswith(".tbs") for n in names)
