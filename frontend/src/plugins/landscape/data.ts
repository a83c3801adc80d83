/** Records of the landscape family, as the views use them (docs/http_api.md, tbs_landscape). */
import { getJson, getRecord, type TagsResponse } from "../../lib/api";
import { floatValues } from "../../lib/wire";

export type SliceType = "linear" | "axis" | "plane";

export interface SliceMeta {
  type: SliceType;
  min: number;
  max: number;
  center_loss?: number;
  names?: string[];
  layers?: string[];
  kinds?: string[];
  normalization?: string;
  seed?: number | null;
}

export interface Slice {
  meta: SliceMeta;
  arrays: Record<string, ArrayLike<number>>;
}

export interface StepRow {
  step: number;
  type: SliceType;
  min: number;
  max: number;
  center_loss?: number;
}

export async function loadSlice(run: string, tag: string, step: number, signal: AbortSignal): Promise<Slice> {
  const record = await getRecord<SliceMeta>("record", { run, tag, step }, signal);
  const arrays: Record<string, ArrayLike<number>> = {};
  for (const name of Object.keys(record.arrays)) arrays[name] = floatValues(record, name);
  return { meta: record.meta, arrays };
}

export function loadSteps(run: string, tag: string, signal: AbortSignal): Promise<StepRow[]> {
  return getJson<StepRow[]>("steps", { run, tag }, signal);
}

export const runsOf = (tags: TagsResponse | null): string[] => Object.keys(tags ?? {}).sort();

export function tagsOf(tags: TagsResponse | null, runs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const tag of Object.keys(tags?.[run] ?? {})) names.add(tag);
  return [...names].sort();
}

export function stepsOf(tags: TagsResponse | null, runs: readonly string[], tag: string): number[] {
  const steps = new Set<number>();
  for (const run of runs) for (const s of tags?.[run]?.[tag]?.steps ?? []) steps.add(s);
  return [...steps].sort((a, b) => a - b);
}

/** The run's own step at or before `step` (its first step when it has none before). */
export function stepAtOrBefore(steps: readonly number[], step: number): number | undefined {
  let best: number | undefined;
  for (const s of steps) if (s <= step && (best === undefined || s > best)) best = s;
  return best ?? steps[0];
}
