/** Typed access to a tbs_predictions record (docs/http_api.md, "tbs_predictions"). */
import type { TypedArray, WireRecord } from "../../lib/wire";

export interface PredMeta {
  kind: "scores" | "labels";
  num_classes: number;
  num_samples: number;
  class_names: string[];
  accuracy: number;
  micro_auc?: number;
  macro_auc?: number;
  micro_ap?: number;
  macro_ap?: number;
  examples_per_cell?: number;
  has_images?: boolean;
}

export interface Curve {
  x: TypedArray;
  y: TypedArray;
}

export interface PredRecord {
  meta: PredMeta;
  numClasses: number;
  classNames: string[];
  /** [C, C] row-major, rows = true class. */
  confusion: TypedArray;
  precision: TypedArray;
  recall: TypedArray;
  f1: TypedArray;
  support: TypedArray;
  auc: TypedArray | null;
  ap: TypedArray | null;
  roc: (c: number) => Curve | null;
  pr: (c: number) => Curve | null;
}

function curveGetter(rec: WireRecord<PredMeta>, xName: string, yName: string, offName: string) {
  const x = rec.arrays[xName]?.data;
  const y = rec.arrays[yName]?.data;
  const offsets = rec.arrays[offName]?.data;
  if (!x || !y || !offsets) return () => null;
  // Subarrays are views: no copy per class.
  return (c: number): Curve | null =>
    c + 1 < offsets.length ? { x: x.subarray(offsets[c], offsets[c + 1]), y: y.subarray(offsets[c], offsets[c + 1]) } : null;
}

export function toPredRecord(rec: WireRecord<PredMeta>): PredRecord {
  const need = (name: string): TypedArray => {
    const a = rec.arrays[name];
    if (!a) throw new Error(`record has no ${name} array`);
    return a.data;
  };
  const C = rec.meta.num_classes;
  const names = rec.meta.class_names ?? [];
  return {
    meta: rec.meta,
    numClasses: C,
    classNames: Array.from({ length: C }, (_, i) => names[i] ?? String(i)),
    confusion: need("confusion"),
    precision: need("precision"),
    recall: need("recall"),
    f1: need("f1"),
    support: need("support"),
    auc: rec.arrays.auc?.data ?? null,
    ap: rec.arrays.ap?.data ?? null,
    roc: curveGetter(rec, "roc_fpr", "roc_tpr", "roc_offsets"),
    pr: curveGetter(rec, "pr_recall", "pr_precision", "pr_offsets"),
  };
}

export interface Examples {
  index: TypedArray;
  score: TypedArray;
  /** uint8 [M, H, W, 3] when images were logged. */
  thumbnails: { data: Uint8Array; height: number; width: number } | null;
}

export function toExamples(rec: WireRecord<unknown>): Examples {
  const t = rec.arrays.thumbnails;
  return {
    index: rec.arrays.example_index?.data ?? new Float64Array(0),
    score: rec.arrays.example_score?.data ?? new Float32Array(0),
    thumbnails: t && t.dtype === "uint8" ? { data: t.data as Uint8Array, height: t.shape[1], width: t.shape[2] } : null,
  };
}
