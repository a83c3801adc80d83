"""Names and record layout of the runs family.

The tab reads every run's scalars (plugin `scalars`) and hyperparameters (plugin `hparams`, written by torch
`add_hparams` and Lightning `log_hyperparams`) as they are. tb-suite itself writes one kind of record: a
run's configuration, tag `config`, `meta = {"config": {dotted key: value}, "source": str, "files": [...]}`
and no arrays (`log_config`, and the imports of config.json / trainer_state.json / hparams.yaml).
"""

PLUGIN_NAME = "tbs_runs"
CONTENT_VERSION = 1
CONFIG_TAG = "config"
SCALARS_PLUGIN = "scalars"
HPARAMS_PLUGIN = "hparams"
# Scalar tags that mark epochs (epoch boundaries on the curves), as Lightning and the importers write them.
EPOCH_TAGS = ("epoch", "trainer/epoch")


def create_content() -> dict:
    """Tag-level content of the config tag."""
    return {"version": CONTENT_VERSION, "kind": "config"}
