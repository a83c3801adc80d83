/**
 * Record fetching shared by the tabs: a cached `./record` loader, per-run records for a tag (each
 * run's failure reported on its own), and all-or-nothing loads of one thing per item.
 */
import { getRecord } from "./api";
import { cachedLoader } from "./promiseCache";
import type { RecordSpec } from "./tagSelection";
import { useFetch, type FetchState } from "./useFetch";
import type { WireRecord } from "./wire";

export type RecordLoader<R> = (run: string, tag: string, step: number, generation: number) => Promise<R>;

/**
 * `GET record` decoded by `convert`, cached by (run, tag, step, reload generation): a bump of
 * `generation` (host DataReloaded) refetches; failed loads are not kept.
 */
export function cachedRecordLoader<M, R>(convert: (wire: WireRecord<M>) => R, capacity: number): RecordLoader<R> {
  return cachedLoader(
    (run: string, tag: string, step: number) => getRecord<M>("record", { run, tag, step }).then(convert),
    capacity,
  );
}

export interface LoadedRecords<R> {
  byRun: Map<string, R>;
  /** `run: message` for each run whose record failed to load. */
  errors: string[];
  /** performance.now() when the last of them was decoded (for data-to-drawn timing). */
  arrivedAt: number;
}

/** The records of `specs` for `tag`; one run failing leaves the others shown. */
export function useRunRecords<R>(
  tag: string,
  specs: readonly RecordSpec[],
  generation: number,
  load: RecordLoader<R>,
): FetchState<LoadedRecords<R>> {
  const key = tag && specs.length ? JSON.stringify([tag, specs, generation]) : null;
  return useFetch(key, async () => {
    const settled = await Promise.allSettled(specs.map((s) => load(s.run, tag, s.step, generation)));
    const byRun = new Map<string, R>();
    const errors: string[] = [];
    settled.forEach((r, i) => {
      if (r.status === "fulfilled") byRun.set(specs[i].run, r.value);
      else errors.push(`${specs[i].run}: ${(r.reason as Error).message}`);
    });
    return { byRun, errors, arrivedAt: performance.now() };
  });
}

/**
 * `load(item)` for every item together (one failure fails them all), refetched when `tag`, the
 * items, `extra` or `generation` change; nothing while `tag` is empty or there are no items.
 */
export function useEach<T, R>(
  tag: string,
  items: readonly T[],
  generation: number,
  load: (item: T, signal: AbortSignal) => Promise<R>,
  extra: unknown = null,
): FetchState<R[]> {
  const key = tag && items.length ? JSON.stringify([tag, items, extra, generation]) : null;
  return useFetch(key, (signal) => Promise.all(items.map((item) => load(item, signal))));
}
