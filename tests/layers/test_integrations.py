"""LayerMonitorCallback through the real Lightning Trainer and Hugging Face Trainer, on CPU with tiny models."""

import glob
import os

import numpy as np
import pytest
import torch

from tb_suite.core.reader import read_records
from tb_suite.layers import metadata as md
from tests.layers.helpers import small_cnn
from tests.tokens.helpers import tiny_lm_and_data

pytestmark = pytest.mark.slow


def _row(meta, arrays, stat):
    return arrays[md.STATS_ARRAY][meta["stats"].index(stat)]


def test_lightning_callback_logs_gradients_before_the_step(tmp_path):
    import lightning as L

    import tb_suite.integrations.lightning as tbs_pl
    from tests.integrations.tiny import lightning_trainer

    seen = {}

    class CNN(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = small_cnn()

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

        def on_before_optimizer_step(self, optimizer):  # runs before the callbacks' hook of the same name
            conv = self.net[0]
            seen[self.trainer.global_step] = torch.cat([conv.weight.grad.ravel(), conv.bias.grad.ravel()]).norm().item()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.05)

    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(
        torch.randn(48, 1, 8, 8, generator=generator), torch.randint(0, 3, (48,), generator=generator)
    )
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    callback = tbs_pl.LayerMonitorCallback(every_n_steps=2, feature_maps=["net.0"])
    trainer = lightning_trainer(tmp_path, [callback], name="cnn", max_epochs=1, num_sanity_val_steps=2)
    model = CNN()
    trainer.fit(model, loader, loader)
    records = read_records(trainer.logger.log_dir, md.PLUGIN_NAME)["layers"]
    assert sorted(records) == [0, 2, 4]  # 6 optimizer steps, every 2, the first included
    meta, arrays = records[2]
    assert meta["layers"][0] == "net.0" and meta["feature_maps"][0]["layer"] == "net.0"
    np.testing.assert_allclose(_row(meta, arrays, "grad_norm")[0], seen[2], rtol=1e-5)
    assert np.isfinite(_row(meta, arrays, "act_mean")).all()
    assert callback.monitor is None and sum(len(m._forward_hooks) for m in model.modules()) == 0


def test_hugging_face_callback(tmp_path):
    from transformers import Trainer, TrainingArguments

    import tb_suite.integrations.transformers as tbs_hf

    model, rows = tiny_lm_and_data()
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=5,
        per_device_train_batch_size=4,
        save_strategy="no",
        report_to=["tensorboard"],
        use_cpu=True,
        disable_tqdm=True,
        logging_steps=1,
        dataloader_num_workers=0,
        max_grad_norm=0.0,
        learning_rate=1e-2,
    )
    trainer = Trainer(model=model, args=args, train_dataset=rows)
    callback = tbs_hf.LayerMonitorCallback(every_n_steps=2)
    tbs_hf.attach(trainer, callback)
    trainer.train()
    (run,) = {os.path.dirname(p) for p in glob.glob(os.path.join(tmp_path / "out", "**", "*tfevents*"), recursive=True)}
    records = read_records(run, md.PLUGIN_NAME)["layers"]
    assert sorted(records) == [1, 2, 4]  # the first step, then every 2 (the Trainer counts from 1)
    meta, arrays = records[4]
    grad = _row(meta, arrays, "grad_norm")
    assert np.isfinite(grad).sum() >= 5 and (grad[np.isfinite(grad)] > 0).all()  # embeddings, norms, linears
    assert np.isfinite(_row(meta, arrays, "update_ratio")).any()
    assert callback.monitor is None


def test_callback_options_are_checked_when_made():
    import tb_suite.integrations.lightning as tbs_pl
    import tb_suite.integrations.transformers as tbs_hf

    for module in (tbs_pl, tbs_hf):
        with pytest.raises(TypeError, match="unknown LayerMonitor option"):
            module.LayerMonitorCallback(evry=3)
        with pytest.raises(ValueError, match="every_n_steps"):
            module.LayerMonitorCallback(every_n_steps=0)
        with pytest.raises(ValueError, match="histogram_bins"):
            module.LayerMonitorCallback(histogram_bins=1)
