/** Fetching (with a small cache) of tbs_tokens records and per-step histories. */
import { getRecord, type Params } from "../../lib/api";
import type { RecordSpec } from "../../lib/tagSelection";
import { useFetch, type FetchState } from "../../lib/useFetch";
import { cachedRecordLoader, useEach, useRunRecords, type LoadedRecords } from "../../lib/useRecords";
import type { WireRecord } from "../../lib/wire";
import { toTokensRecord, type TokensMeta, type TokensRecord } from "./record";

const loadRecord = cachedRecordLoader<TokensMeta, TokensRecord>(toTokensRecord, 16);

export function useRecords(tag: string, specs: readonly RecordSpec[], generation: number): FetchState<LoadedRecords<TokensRecord>> {
  return useRunRecords(tag, specs, generation, loadRecord);
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

/** Each run's history, as `[run, history]` in the order of `runs`. */
export function useHistories(
  tag: string,
  runs: readonly string[],
  position: { seq: number; pos: number } | null,
  generation: number,
): FetchState<[string, History][]> {
  const params: Params = position ? { seq: position.seq, pos: position.pos } : {};
  return useEach(
    tag,
    runs,
    generation,
    async (run, signal): Promise<[string, History]> => [
      run,
      toHistory(await getRecord<unknown>("history", { run, tag, ...params }, signal)),
    ],
    position,
  );
}

/**
 * One position's history in each of `runs`: `[run, history]` for the runs that have it, and
 * `run: message` for those that failed (a run whose sequence is shorter), so one does not hide the others.
 */
export function usePositionHistories(
  tag: string,
  runs: readonly string[],
  position: { seq: number; pos: number } | null,
  generation: number,
): FetchState<{ histories: [string, History][]; errors: string[] }> {
  const key = tag && runs.length && position ? JSON.stringify([tag, runs, position, generation]) : null;
  return useFetch(key, async (signal) => {
    const settled = await Promise.allSettled(
      runs.map((run) => getRecord<unknown>("history", { run, tag, seq: position!.seq, pos: position!.pos }, signal)),
    );
    const histories: [string, History][] = [];
    const errors: string[] = [];
    settled.forEach((r, i) => {
      if (r.status === "fulfilled") histories.push([runs[i], toHistory(r.value)]);
      else errors.push(`${runs[i]}: ${(r.reason as Error).message}`);
    });
    return { histories, errors };
  });
}
