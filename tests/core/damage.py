"""Damaged copies of real records, and every family's routes served over them.

`base_records` logs small real records of every family (inline and in sidecars) with the real `log_*`
functions; `write_variants` writes a run holding damaged copies of them, one per step, with TensorBoard's
own event writer; `Routes` answers queries through each plugin's WSGI apps over TensorBoard's Python data
provider (what `--load_fast=false` serves), so that thousands of damaged steps are checked in seconds.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import google_crc32c
import numpy as np
import werkzeug.test
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins import base_plugin
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tb_suite.core import codec
from tests.helpers import accumulator

PLUGINS = ("tbs_predictions", "tbs_attention", "tbs_tokens", "tbs_landscape")


@dataclass
class Base:
    """One stored record: its tag, its event's summary metadata, and its payload."""

    plugin: str
    tag: str
    metadata: summary_pb2.SummaryMetadata
    payload: bytes
    sidecar: bool

    @property
    def data_offset(self) -> int:
        return codec.parse_header(self.payload)[1]

    @property
    def array_names(self) -> list[str]:
        return [entry["name"] for entry in codec.parse_header(self.payload)[0]["arrays"]]


def log_base_records(run_dir: Path) -> None:
    """Small real records of every family, each family with one inline record and one in a sidecar."""
    import torch

    import tb_suite as tbs
    from tb_suite.landscape.slices import LineSlice, PlaneSlice

    rng = np.random.default_rng(0)
    generator = torch.Generator().manual_seed(0)

    def attention(shape):
        logits = rng.normal(size=shape) * 2
        weights = np.exp(logits - logits.max(-1, keepdims=True))
        return (weights / weights.sum(-1, keepdims=True)).astype(np.float32)

    with tbs.Writer(run_dir) as writer:
        tbs.log_confusion_matrix(writer, "labels", np.array([0, 1, 2, 1]), np.array([0, 1, 1, 1]), step=0)
        scores = torch.softmax(torch.randn(300, 3, generator=generator), -1)
        tbs.log_predictions(writer, "scores", scores, torch.randint(0, 3, (300,), generator=generator), step=0)
        tbs.log_attention(writer, "attn_small", attention((1, 1, 1, 3, 3)), tokens=["a", "b", "c"], step=0)
        tbs.log_attention(writer, "attn_large", attention((6, 1, 8, 8, 8)), tokens=list("abcdefgh"), step=0)
        tbs.log_head_stats(writer, "heads", step=0, entropy=rng.random((2, 3)), mask=np.eye(2, 3))
        tbs.log_token_predictions(
            writer,
            "tok_small",
            torch.randn(1, 3, 13, generator=generator),
            torch.randint(0, 13, (1, 3), generator=generator),
            step=0,
            k=2,
        )
        tbs.log_token_predictions(
            writer,
            "tok_large",
            torch.randn(4, 48, 13, generator=generator),
            torch.randint(0, 13, (4, 48), generator=generator),
            step=0,
            k=3,
        )
        alphas = np.linspace(-1, 1, 9)
        tbs.log_slice(writer, "line", LineSlice(alphas, alphas**2), step=0)
        xs = np.linspace(-1, 1, 40)
        tbs.log_slice(writer, "plane", PlaneSlice(xs, xs, np.add.outer(xs**2, xs**2), seed=0, center_loss=0.0), step=0)


def base_records(run_dir: Path) -> list[Base]:
    """Every record of `run_dir`, read back with TensorBoard's event reader."""
    acc = accumulator(run_dir)
    bases = []
    for tag in acc.Tags()["tensors"]:
        metadata = acc.SummaryMetadata(tag)
        if metadata.plugin_data.plugin_name not in PLUGINS:
            continue  # scalars
        (event,) = acc.Tensors(tag)
        value = event.tensor_proto.string_val[0]
        ref = codec.decode_reference(value)
        if ref is not None:
            path = run_dir / "plugins" / metadata.plugin_data.plugin_name / ref["file"]
            value = path.read_bytes()[ref["offset"] : ref["offset"] + ref["length"]]
        bases.append(Base(metadata.plugin_data.plugin_name, tag, metadata, value, ref is not None))
    return bases


def v1_payload(meta: dict, arrays: dict) -> bytes:
    """A payload of format 1 (before checksums), as tb-suite 0.1 wrote it: raw arrays only."""
    entries, data = [], []
    for name, array in arrays.items():
        raw = np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes()
        entries.append(
            {
                "dtype": array.dtype.name,
                "shape": list(array.shape),
                "enc": "raw",
                "comp": "none",
                "name": name,
                "nbytes": len(raw),
            }
        )
        data.append(raw)
    return v1_from_header({"v": 1, "meta": meta, "arrays": entries}, b"".join(data))


def v1_from_header(header, data: bytes) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode() if isinstance(header, dict) else header
    return b"TBS1" + struct.pack("<I", len(text)) + text + data


def flip_bit(data: bytes, bit: int) -> bytes:
    damaged = bytearray(data)
    damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


def reseal(payload: bytes) -> bytes:
    """`payload` with its header checksum recomputed: a damaged header only its own checks can catch. (A
    format 1 payload, from tb-suite before checksums, has none.)"""
    if payload[:4] == b"TBS1":
        return payload
    end = codec.header_size(payload) - 4
    return payload[:end] + struct.pack("<I", google_crc32c.value(payload[:end])) + payload[end + 4 :]


def header_flips(base: Base) -> Iterator[bytes]:
    """Every single-bit flip of the payload's header (magic, length, JSON, checksum)."""
    for bit in range(base.data_offset * 8):
        yield flip_bit(base.payload, bit)


def resealed_header_flips(base: Base) -> Iterator[bytes]:
    """Every single-bit flip of the header's JSON, with the header checksum made to match."""
    for bit in range(8 * 8, (base.data_offset - 4) * 8):
        yield reseal(flip_bit(base.payload, bit))


def data_flips(base: Base, count: int, seed: int = 0) -> Iterator[bytes]:
    """`count` single-byte flips spread over the payload's data, the first and last byte of each array included."""
    header, start = codec.parse_header(base.payload)
    positions = set(np.linspace(start, len(base.payload) - 1, count).astype(int).tolist())
    for entry in header["arrays"]:
        if entry["nbytes"]:
            positions |= {start, start + entry["nbytes"] - 1}
        start += entry["nbytes"]
    rng = np.random.default_rng(seed)
    for position in sorted(positions):
        damaged = bytearray(base.payload)
        damaged[position] ^= int(rng.integers(1, 256))
        yield bytes(damaged)


def write_variants(run_dir: Path, base: Base, tag: str, payloads: list[bytes], *, references: list[bytes] = ()) -> None:
    """Tag `tag` of run `run_dir`: step 0 holds `base` intact, step i its damaged payload i (in a sidecar when
    `base` was in one), then one step per damaged sidecar reference (pointing at the intact payload)."""
    sidecar_dir = run_dir / "plugins" / base.plugin
    sidecar_dir.mkdir(parents=True, exist_ok=True)
    sidecar = sidecar_dir / f"{tag.replace('/', '_')}.tbs"
    writer = EventFileWriter(str(run_dir), filename_suffix=f".{tag.replace('/', '_')}")
    with open(sidecar, "wb") as out:
        values = []
        for payload in [base.payload, *payloads]:
            if base.sidecar:
                values.append(codec.encode_reference(sidecar.name, out.tell(), len(payload)))
                out.write(payload)
            else:
                values.append(payload)
    for step, value in enumerate([*values, *references]):
        summary = summary_pb2.Summary()
        summary.value.add(tag=tag, metadata=base.metadata).tensor.string_val.append(value)
        summary.value[0].tensor.dtype = 7  # DT_STRING
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0 + step, summary=summary))
    writer.close()


def reference_flips(base: Base, run_dir: Path, tag: str) -> list[bytes]:
    """Every single-bit flip of the sidecar reference to `base`'s intact copy (step 0 of `tag`)."""
    value = codec.encode_reference(f"{tag.replace('/', '_')}.tbs", 0, len(base.payload))
    return [flip_bit(value, bit) for bit in range(len(value) * 8)]


class Routes:
    """Every family plugin's routes over `logdir`, through their WSGI apps and TensorBoard's data provider."""

    def __init__(self, logdir: Path):
        from tb_suite.attention.plugin import AttentionPlugin
        from tb_suite.landscape.plugin import LandscapePlugin
        from tb_suite.predictions.plugin import PredictionsPlugin
        from tb_suite.tokens.plugin import TokensPlugin

        multiplexer = plugin_event_multiplexer.EventMultiplexer(
            size_guidance={"tensors": 0}, tensor_size_guidance={name: 0 for name in PLUGINS}
        )
        multiplexer.AddRunsFromDirectory(str(logdir))
        multiplexer.Reload()
        context = base_plugin.TBContext(
            data_provider=data_provider.MultiplexerDataProvider(multiplexer, str(logdir)), logdir=str(logdir)
        )
        self.apps = {}
        for plugin_class in (AttentionPlugin, LandscapePlugin, PredictionsPlugin, TokensPlugin):
            plugin = plugin_class(context)
            for path, app in plugin.get_plugin_apps().items():
                self.apps[f"{plugin.plugin_name}/{path.lstrip('/')}"] = werkzeug.test.Client(app)

    def get(self, plugin: str, route: str, **params) -> tuple[int, bytes]:
        response = self.apps[f"{plugin}/{route}"].get("/", query_string=params)
        return response.status_code, response.get_data()

    def get_json(self, plugin: str, route: str, **params):
        status, body = self.get(plugin, route, **params)
        assert status == 200, (route, params, status, body[:300])
        return json.loads(body)
