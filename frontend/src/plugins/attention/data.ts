/** Types and fetchers for the tbs_attention routes (docs/http_api.md, `## tbs_attention`). */
import { getJson, getRecord, type Params } from "../../lib/api";
import { cachedLoader } from "../../lib/promiseCache";

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

export const MAP_SIZE = 512;

export function getExample(run: string, tag: string, step: number, example: number, signal?: AbortSignal) {
  return getJson<ExampleInfo>("example", { run, tag, step, example }, signal);
}

export async function getMap(params: Params, signal?: AbortSignal): Promise<AttentionMap> {
  const record = await getRecord<Region & { stride_q: number; stride_k: number }>("map", params, signal);
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

export async function getGrid(run: string, tag: string, step: number, example: number, signal?: AbortSignal) {
  const record = await getRecord("grid", { run, tag, step, example, size: 48 }, signal);
  const thumbs = record.arrays.thumbs;
  return { shape: thumbs.shape, values: thumbs.data as Float32Array };
}

export async function getHeadStats(run: string, tag: string, signal?: AbortSignal): Promise<HeadStats> {
  const record = await getRecord<{ layers: number; heads: number; stats: string[] }>("head_stats", { run, tag }, signal);
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

// Least recently used dropped first: scrubbing back and forth, and neighbours prefetched ahead of
// the scrubber, come from memory (16 steps of each). Called as `cachedX(...args, generation)`.
const STEPS_KEPT = 16;
export const cachedMap = cachedLoader((params: Params) => getMap(params), STEPS_KEPT, { lru: true });
export const cachedGrid = cachedLoader(
  (run: string, tag: string, step: number, example: number) => getGrid(run, tag, step, example),
  STEPS_KEPT,
  { lru: true },
);
export const cachedExample = cachedLoader(
  (run: string, tag: string, step: number, example: number) => getExample(run, tag, step, example),
  STEPS_KEPT,
  { lru: true },
);
