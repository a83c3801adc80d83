/** Typed access to a tbs_landscape record (docs/http_api.md, tbs_landscape). */
import type { WireRecord } from "../../lib/wire";

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

/** The record's arrays by name, as plain numbers for the views. */
export function toSlice(record: WireRecord<SliceMeta>): Slice {
  const arrays: Record<string, ArrayLike<number>> = {};
  for (const [name, array] of Object.entries(record.arrays)) arrays[name] = array.data;
  return { meta: record.meta, arrays };
}
