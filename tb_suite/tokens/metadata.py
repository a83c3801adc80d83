"""The tokens family's plugin name, tag-level content and record layout (see docs/http_api.md, `tbs_tokens`)."""

from __future__ import annotations

PLUGIN_NAME = "tbs_tokens"
CONTENT_VERSION = 1

# Per-position arrays of a record, all `[B, T]` except the top-k pair `[B, T, k]`.
INPUT_IDS = "input_ids"  # int32; negative: a token whose id is unknown (imports), its text in `vocab`
TARGETS = "targets"  # int32 next-token target, -1 where none
MASK = "mask"  # uint8, 1 for real tokens, 0 for padding
TOPK_IDS = "topk_ids"  # int32, most probable first; -1 pads imports with fewer than k predictions
TOPK_PROBS = "topk_probs"  # float32 stored as float16
ENTROPY = "entropy"  # float32, nats
LOSS = "loss"  # float32 -log p(target), nats; NaN where no target (target probability = exp(-loss))
RANK = "rank"  # int32, 1 + logits strictly above the target's; 0 where no target or unknown
VOCAB_IDS = "vocab_ids"  # int32 [U]: the ids whose text is in meta["vocab"], same order
ARRAYS = (INPUT_IDS, TARGETS, MASK, TOPK_IDS, TOPK_PROBS, ENTROPY, LOSS, RANK, VOCAB_IDS)

ENCODINGS = {TOPK_PROBS: "f16"}


def create_content(k: int, vocab_size: int) -> dict:
    """Tag-level plugin content (readers keep the first one per run and tag)."""
    return {"version": CONTENT_VERSION, "k": int(k), "vocab_size": int(vocab_size)}
