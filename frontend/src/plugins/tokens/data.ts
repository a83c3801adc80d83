/** Fetching (with a small cache) of tbs_tokens records and per-step histories. */
import { getRecord, type Params } from "../../lib/api";
import { useFetch, type FetchState } from "../../lib/useFetch";
import type { WireRecord } from "../../lib/wire";
import { toTokensRecord, type TokensMeta, type TokensRecord } from "./record";

const CACHE_SIZE = 16;
const cache = new Map<string, Promise<TokensRecord>>();

function loadRecord(run: string, tag: string, step: number, generation: number): Promise<TokensRecord> {
  const key = JSON.stringify([run, tag, step, generation]);
  let hit = cache.get(key);
  if (!hit) {
    hit = getRecord<TokensMeta>("record", { run, tag, step }).then(toTokensRecord);
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return hit;
}

export interface RecordSpec {
  run: string;
  step: number;
}

export function useRecords(
  tag: string,
  specs: readonly RecordSpec[],
  generation: number,
): FetchState<{ byRun: Map<string, TokensRecord>; errors: string[] }> {
  const key = tag && specs.length ? JSON.stringify([tag, specs, generation]) : null;
  return useFetch(key, async () => {
    const settled = await Promise.allSettled(specs.map((s) => loadRecord(s.run, tag, s.step, generation)));
    const byRun = new Map<string, TokensRecord>();
    const errors: string[] = [];
    settled.forEach((r, i) => {
      if (r.status === "fulfilled") byRun.set(specs[i].run, r.value);
      else errors.push(`${specs[i].run}: ${(r.reason as Error).message}`);
    });
    return { byRun, errors };
  });
}

/** `GET history`: loss and perplexity per step; with a position, its entropy, target probability and rank. */
export interface History {
  steps: ArrayLike<number>;
  loss: ArrayLike<number>;
  perplexity: ArrayLike<number>;
  entropy?: ArrayLike<number>;
  targetProb?: ArrayLike<number>;
  rank?: ArrayLike<number>;
}

function toHistory(wire: WireRecord<unknown>): History {
  const get = (name: string) => wire.arrays[name]?.data;
  return {
    steps: get("steps")!,
    loss: get("loss")!,
    perplexity: get("perplexity")!,
    entropy: get("entropy"),
    targetProb: get("target_prob"),
    rank: get("rank"),
  };
}

export function useHistories(
  tag: string,
  runs: readonly string[],
  position: { seq: number; pos: number } | null,
  generation: number,
): FetchState<Map<string, History>> {
  const key = tag && runs.length ? JSON.stringify([tag, runs, position, generation]) : null;
  return useFetch(key, async (signal) => {
    const params: Params = position ? { seq: position.seq, pos: position.pos } : {};
    const answers = await Promise.all(runs.map((run) => getRecord<unknown>("history", { run, tag, ...params }, signal)));
    return new Map(runs.map((run, i) => [run, toHistory(answers[i])]));
  });
}
