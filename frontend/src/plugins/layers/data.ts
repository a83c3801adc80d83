/** Fetching tbs_layers records and route answers, cached per (run, tag, ..., reload generation). */
import { getJson, getRecord } from "../../lib/api";
import type { RecordSpec } from "../../lib/tagSelection";
import { useFetch, type FetchState } from "../../lib/useFetch";
import { cachedRecordLoader, useEach, useRunRecords, type LoadedRecords } from "../../lib/useRecords";
import { toLayersRecord, type FirstNonfinite, type Kind, type LayersMeta, type LayersRecord, type MergedDiagnosis } from "./record";

const loadRecord = cachedRecordLoader<LayersMeta, LayersRecord>(toLayersRecord, 16);

export function useLayerRecords(tag: string, specs: readonly RecordSpec[], generation: number): FetchState<LoadedRecords<LayersRecord>> {
  return useRunRecords(tag, specs, generation, loadRecord);
}

/** `GET series`: one statistic of every layer at every step. */
export interface Series {
  run: string;
  layers: string[];
  steps: ArrayLike<number>;
  /** Row-major `[layers, steps]`. */
  values: ArrayLike<number>;
  /** performance.now() when it was decoded. */
  arrivedAt: number;
}

export function useSeries(tag: string, runs: readonly string[], stat: string, generation: number): FetchState<Series[]> {
  return useEach(tag, runs, generation, async (run, signal): Promise<Series> => {
    const wire = await getRecord<{ layers: string[] }>("series", { run, tag, stat }, signal);
    return { run, layers: wire.meta.layers, steps: wire.arrays.steps.data, values: wire.arrays.values.data, arrivedAt: performance.now() };
  }, stat);
}

/** `GET distribution`: one layer's histograms of a kind over steps on common edges. */
export interface Distribution {
  run: string;
  steps: ArrayLike<number>;
  edges: ArrayLike<number>;
  /** Row-major `[bins, steps]`, bin 0 the lowest values. */
  density: ArrayLike<number>;
}

export function useDistributions(tag: string, runs: readonly string[], layer: string | null, kind: Kind, generation: number): FetchState<Distribution[]> {
  return useEach(tag, layer === null ? [] : runs, generation, async (run, signal): Promise<Distribution> => {
    const wire = await getRecord<unknown>("distribution", { run, tag, layer: layer ?? "", kind, bins: 48 }, signal);
    const a = wire.arrays;
    return { run, steps: a.steps.data, edges: a.edges.data, density: a.density.data };
  }, [layer, kind]);
}

export interface DiagnosesAnswer {
  run: string;
  steps: number;
  diagnoses: MergedDiagnosis[];
  first_nonfinite: FirstNonfinite | null;
}

export function useDiagnoses(tag: string, runs: readonly string[], generation: number): FetchState<DiagnosesAnswer[]> {
  return useEach(tag, runs, generation, (run, signal) => getJson<DiagnosesAnswer>("diagnoses", { run, tag }, signal));
}

/** `GET feature_map`: `[C, H, W]` maps of one module at one step. */
export interface FeatureMaps {
  channels: number;
  height: number;
  width: number;
  data: ArrayLike<number>;
}

export function useFeatureMaps(run: string, tag: string, step: number, layer: string | null, generation: number): FetchState<FeatureMaps> {
  const key = run && tag && layer !== null ? JSON.stringify([run, tag, step, layer, generation]) : null;
  return useFetch(key, async (signal) => {
    const maps = (await getRecord<unknown>("feature_map", { run, tag, step, layer: layer ?? "" }, signal)).arrays.maps;
    const [channels, height, width] = maps.shape;
    return { channels, height, width, data: maps.data };
  });
}
