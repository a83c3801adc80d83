/** Fetching (with a small cache) of predictions records and examples. */
import { getRecord } from "../../lib/api";
import type { RecordSpec } from "../../lib/tagSelection";
import { useFetch, type FetchState } from "../../lib/useFetch";
import { cachedRecordLoader, useRunRecords, type LoadedRecords } from "../../lib/useRecords";
import { toExamples, toPredRecord, type Examples, type PredMeta, type PredRecord } from "./record";

/** One record, cached by (run, tag, step, reload generation); failed loads are not kept. */
export const loadRecord = cachedRecordLoader<PredMeta, PredRecord>(toPredRecord, 24);

export function useRecords(tag: string, specs: readonly RecordSpec[], generation: number): FetchState<LoadedRecords<PredRecord>> {
  return useRunRecords(tag, specs, generation, loadRecord);
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
