import { describe, expect, it } from "vitest";
import type { WireArray, WireRecord } from "../../lib/wire";
import { toExamples, toPredRecord, type PredMeta } from "./record";

const f32 = (values: number[]): WireArray => ({ dtype: "float32", shape: [values.length], data: new Float32Array(values) });
const i64 = (values: number[]): WireArray => ({ dtype: "float64", shape: [values.length], data: new Float64Array(values) });

const meta: PredMeta = { kind: "scores", num_classes: 2, num_samples: 4, class_names: ["cat"], accuracy: 0.5 };

function wire(extra: Record<string, WireArray> = {}): WireRecord<PredMeta> {
  return {
    meta,
    arrays: {
      confusion: f32([1, 1, 1, 1]),
      precision: f32([0.5, 0.5]),
      recall: f32([0.5, 0.5]),
      f1: f32([0.5, 0.5]),
      support: f32([2, 2]),
      ...extra,
    },
  };
}

describe("predictions records", () => {
  it("name missing classes by index and need the per-class arrays", () => {
    const rec = toPredRecord(wire());
    expect(rec.classNames).toEqual(["cat", "1"]);
    expect(rec.auc).toBeNull();
    expect(rec.roc(0)).toBeNull();
    const broken = wire();
    delete broken.arrays.f1;
    expect(() => toPredRecord(broken)).toThrow("record has no f1 array");
  });

  it("cut each class's curve out of the flat arrays by its offsets", () => {
    const rec = toPredRecord(
      wire({ roc_fpr: f32([0, 1, 0, 0.5, 1]), roc_tpr: f32([0, 1, 0, 1, 1]), roc_offsets: i64([0, 2, 5]), auc: f32([0.5, 0.75]) }),
    );
    expect(Array.from(rec.roc(0)!.x)).toEqual([0, 1]);
    expect(Array.from(rec.roc(1)!.y)).toEqual([0, 1, 1]);
    expect(rec.roc(2)).toBeNull();
    expect(rec.pr(0)).toBeNull();
    expect(Array.from(rec.auc!)).toEqual([0.5, 0.75]);
  });

  it("read examples with or without thumbnails", () => {
    const thumbs: WireArray = { dtype: "uint8", shape: [1, 2, 3, 3], data: new Uint8Array(18) };
    const ex = toExamples({ meta: {}, arrays: { example_index: i64([7]), example_score: f32([0.9]), thumbnails: thumbs } });
    expect(Array.from(ex.index)).toEqual([7]);
    expect(ex.thumbnails && [ex.thumbnails.height, ex.thumbnails.width]).toEqual([2, 3]);
    expect(toExamples({ meta: {}, arrays: {} })).toEqual({ index: new Float64Array(0), score: new Float32Array(0), thumbnails: null });
  });
});
