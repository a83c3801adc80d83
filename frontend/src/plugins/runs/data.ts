/** The tbs_runs routes as the views use them (docs/http_api.md, tbs_runs). */
import { getJson, getRecord } from "../../lib/api";

export type ConfigValue = number | string | boolean | null;

export interface Summary {
  /** Not read yet (an answer with `summaries=0`): only `direction` is set. */
  pending?: boolean;
  final: number | null;
  best: number | null;
  best_step: number | null;
  last_mean: number | null;
  count: number;
  last_step: number | null;
  direction: "min" | "max";
}

export interface Row {
  run: string;
  config: Record<string, ConfigValue>;
  sources: string[];
  files: { path: string; bytes: number | null }[];
  metrics: Record<string, Summary>;
}

export interface GroupStat {
  mean: number | null;
  std: number | null;
  n: number;
}

export interface Group {
  values: Record<string, ConfigValue>;
  runs: string[];
  metrics: Record<string, Record<"final" | "best" | "last_mean", GroupStat>>;
}

export interface RunsAnswer {
  runs: Row[];
  total: number;
  tags: string[];
  config_keys: string[];
  last: number;
  errors: string[];
  groups?: Group[];
  /** Series whose summary is not computed yet (answers with `summaries=0`). */
  pending: number;
}

export interface Curve {
  run: string;
  step: Float64Array;
  value: Float64Array;
  wall: Float64Array;
  epochs: Float64Array | null;
}

export interface RunsQuery {
  regex: string;
  filter: string;
  group: string[];
  last: number;
  /** Per-tag overrides of which end is best. */
  directions: Record<string, "min" | "max">;
}

/** `summaries: false` answers at once with the names and configs (summaries not yet cached are pending). */
export function loadRuns(q: RunsQuery, signal: AbortSignal, summaries = true): Promise<RunsAnswer> {
  const direction = Object.entries(q.directions).map(([tag, d]) => `${tag}:${d}`).join(",");
  const params = { regex: q.regex, filter: q.filter, group: q.group.join(","), last: q.last, direction, summaries: summaries ? 1 : 0 };
  return getJson<RunsAnswer>("runs", params, signal);
}

export async function loadCurves(tag: string, runs: readonly string[], signal: AbortSignal): Promise<Curve[]> {
  const record = await getRecord<{ runs: string[] }>("scalars", { tag, runs: JSON.stringify(runs) }, signal);
  return record.meta.runs.map((run, i) => ({
    run,
    step: record.arrays[`step.${i}`].data as Float64Array,
    value: record.arrays[`value.${i}`].data as Float64Array,
    wall: record.arrays[`wall.${i}`].data as Float64Array,
    epochs: (record.arrays[`epoch.${i}`]?.data as Float64Array | undefined) ?? null,
  }));
}

export interface CompareAnswer {
  tag: string;
  runs: string[];
  steps: number[];
  values: Record<string, (number | null)[]>;
}

export function loadCompare(tag: string, runs: readonly string[], signal: AbortSignal): Promise<CompareAnswer> {
  return getJson<CompareAnswer>("compare", { tag, runs: JSON.stringify(runs) }, signal);
}

export interface EpochStats {
  epoch: number | null;
  count: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  mean: number;
}

export function loadEpochs(run: string, tag: string, signal: AbortSignal): Promise<{ epochs: EpochStats[]; error?: string }> {
  return getJson("epochs", { run, tag }, signal);
}
