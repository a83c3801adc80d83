/** Typed access to the tbs_attention records (docs/http_api.md, `## tbs_attention`). */
import type { WireRecord } from "../../lib/wire";

export type View = "head" | "layer" | "rollout";

export interface TagMeta {
  kind: "attention" | "head_stats";
}

export interface ExampleInfo {
  layers: number;
  heads: number;
  examples: number;
  cross: boolean;
  rollout: boolean;
  query_tokens: string[];
  key_tokens: string[];
}

export interface Region {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
}

export interface AttentionMap extends Region {
  rows: number;
  cols: number;
  strideQ: number;
  strideK: number;
  values: Float32Array;
}

export interface HeadStats {
  layers: number;
  heads: number;
  steps: number[];
  stats: Record<string, Float32Array>;
}

export type MapMeta = Region & { stride_q: number; stride_k: number };
export type StatsMeta = { layers: number; heads: number; stats: string[] };

export function toAttentionMap(record: WireRecord<MapMeta>): AttentionMap {
  const weights = record.arrays.weights;
  const m = record.meta;
  return {
    q0: m.q0,
    q1: m.q1,
    k0: m.k0,
    k1: m.k1,
    strideQ: m.stride_q,
    strideK: m.stride_k,
    rows: weights.shape[0],
    cols: weights.shape[1],
    values: weights.data as Float32Array,
  };
}

export function toGrid(record: WireRecord): { shape: number[]; values: Float32Array } {
  const thumbs = record.arrays.thumbs;
  return { shape: thumbs.shape, values: thumbs.data as Float32Array };
}

export function toHeadStats(record: WireRecord<StatsMeta>): HeadStats {
  const stats: Record<string, Float32Array> = {};
  for (const name of record.meta.stats) stats[name] = record.arrays[name].data as Float32Array;
  return {
    layers: record.meta.layers,
    heads: record.meta.heads,
    steps: Array.from(record.arrays.steps.data),
    stats,
  };
}

/** Labels for the rows (or columns) of a downsampled map: one token, or "first … last" of a block. */
export function blockLabels(tokens: readonly string[], start: number, end: number, stride: number): string[] {
  const labels: string[] = [];
  for (let i = start; i < end; i += stride) {
    const last = Math.min(i + stride, end) - 1;
    labels.push(last > i ? `${tokens[i]} … ${tokens[last]}` : (tokens[i] ?? String(i)));
  }
  return labels;
}
