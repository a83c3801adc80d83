/** Fetchers for the tbs_attention routes (docs/http_api.md, `## tbs_attention`); types in ./record. */
import { getJson, getRecord, type Params } from "../../lib/api";
import { cachedLoader } from "../../lib/promiseCache";
import { toAttentionMap, toGrid, toHeadStats, type AttentionMap, type ExampleInfo, type HeadStats, type MapMeta, type StatsMeta } from "./record";

export * from "./record";

export const MAP_SIZE = 512;

export function getExample(run: string, tag: string, step: number, example: number, signal?: AbortSignal) {
  return getJson<ExampleInfo>("example", { run, tag, step, example }, signal);
}

export async function getMap(params: Params, signal?: AbortSignal): Promise<AttentionMap> {
  return toAttentionMap(await getRecord<MapMeta>("map", params, signal));
}

export async function getGrid(run: string, tag: string, step: number, example: number, signal?: AbortSignal) {
  return toGrid(await getRecord("grid", { run, tag, step, example, size: 48 }, signal));
}

export async function getHeadStats(run: string, tag: string, signal?: AbortSignal): Promise<HeadStats> {
  return toHeadStats(await getRecord<StatsMeta>("head_stats", { run, tag }, signal));
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
