/** Fetching (with a small cache) of predictions records and examples. */
import { getRecord } from "../../lib/api";
import { useFetch, type FetchState } from "../../lib/useFetch";
import { toExamples, toPredRecord, type Examples, type PredMeta, type PredRecord } from "./record";

const CACHE_SIZE = 24;
const cache = new Map<string, Promise<PredRecord>>();

/** One record, cached by (run, tag, step, reload generation); failed loads are not kept. */
export function loadRecord(run: string, tag: string, step: number, generation: number): Promise<PredRecord> {
  const key = JSON.stringify([run, tag, step, generation]);
  let hit = cache.get(key);
  if (!hit) {
    hit = getRecord<PredMeta>("record", { run, tag, step }).then(toPredRecord);
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

export interface LoadedRecords {
  byRun: Map<string, PredRecord>;
  errors: string[];
  /** performance.now() when the last of them was decoded (for data-to-drawn timing). */
  arrivedAt: number;
}

export function useRecords(tag: string, specs: readonly RecordSpec[], generation: number): FetchState<LoadedRecords> {
  const key = tag && specs.length ? JSON.stringify([tag, specs, generation]) : null;
  return useFetch(key, async () => {
    const settled = await Promise.allSettled(specs.map((s) => loadRecord(s.run, tag, s.step, generation)));
    const byRun = new Map<string, PredRecord>();
    const errors: string[] = [];
    settled.forEach((r, i) => {
      if (r.status === "fulfilled") byRun.set(specs[i].run, r.value);
      else errors.push(`${specs[i].run}: ${(r.reason as Error).message}`);
    });
    return { byRun, errors, arrivedAt: performance.now() };
  });
}

export function useExamples(
  run: string,
  tag: string,
  step: number,
  cell: { row: number; col: number } | null,
): FetchState<Examples> {
  const key = cell ? JSON.stringify([run, tag, step, cell.row, cell.col]) : null;
  return useFetch(key, async (signal) =>
    toExamples(await getRecord("examples", { run, tag, step, true: cell!.row, pred: cell!.col }, signal)),
  );
}
