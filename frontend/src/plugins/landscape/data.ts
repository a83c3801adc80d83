/** Records of the landscape family, as the views use them (docs/http_api.md, tbs_landscape). */
import { getJson, getRecord } from "../../lib/api";
import { cachedLoader } from "../../lib/promiseCache";

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

async function getSlice(run: string, tag: string, step: number): Promise<Slice> {
  const record = await getRecord<SliceMeta>("record", { run, tag, step });
  const arrays: Record<string, ArrayLike<number>> = {};
  for (const [name, array] of Object.entries(record.arrays)) arrays[name] = array.data;
  return { meta: record.meta, arrays };
}

/** `loadSlice(run, tag, step, generation)`, `loadSteps(run, tag, generation)`: cached (lib/promiseCache). */
export const loadSlice = cachedLoader(getSlice, 16);
export const loadSteps = cachedLoader((run: string, tag: string) => getJson<StepRow[]>("steps", { run, tag }), 16);
