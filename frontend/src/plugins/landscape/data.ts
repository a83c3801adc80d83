/** Records of the landscape family, as the views use them (docs/http_api.md, tbs_landscape). */
import { getJson, getRecord } from "../../lib/api";

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
  for (const [name, array] of Object.entries(record.arrays)) arrays[name] = array.data;
  return { meta: record.meta, arrays };
}

export function loadSteps(run: string, tag: string, signal: AbortSignal): Promise<StepRow[]> {
  return getJson<StepRow[]>("steps", { run, tag }, signal);
}
