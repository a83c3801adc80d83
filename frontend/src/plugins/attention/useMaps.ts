/** The maps the attention tab draws for a selection: the example's tokens, the map (and the previous
 * step's for the difference), the all-heads grid, the compared runs' maps, neighbours prefetched. */
import { useEffect, useMemo } from "react";
import { useFetch } from "../../lib/useFetch";
import { sharedMax, useCompared } from "./ComparePanel";
import { MAP_SIZE, cachedExample, cachedGrid, cachedMap } from "./data";
import { blockLabels, type AttentionMap, type View } from "./record";
import type { AttentionSelection } from "./useSelection";

const NO_TOKENS: string[] = [];

export function useAttentionMaps(sel: AttentionSelection) {
  const { live, run, tag, step, previous, steps, example, view, layer, head, zoom, diff, compareRuns } = sel;
  const base = `${run}\0${tag}`;
  const generation = live.reloadCount;
  const info = useFetch(tag ? `${base}\0${step}\0${example}\0${live.reloadCount}` : null, () =>
    cachedExample(run, tag, step, example, generation),
  );
  const meta = info.data;
  const layerCount = meta?.layers ?? 0;
  const headCount = meta?.heads ?? 0;
  const safeLayer = Math.min(layer, Math.max(0, layerCount - 1));
  const safeHead = Math.min(head, Math.max(0, headCount - 1));
  const safeView: View = view === "rollout" && meta && !meta.rollout ? "head" : view;

  const mapParams = (atStep: number) => ({
    run,
    tag,
    step: atStep,
    example,
    view: safeView,
    layer: safeLayer,
    head: safeHead,
    size: MAP_SIZE,
    ...(zoom ?? {}),
  });
  // useFetch returns data only for its current key, so `current` and `before` are always maps of
  // the current parameters (and reload generation): the diff never mixes requests.
  const mapKey = meta ? JSON.stringify([mapParams(step), generation]) : null;
  const current = useFetch(mapKey, () => cachedMap(mapParams(step), generation));
  const beforeKey = diff && meta && previous !== undefined ? JSON.stringify([mapParams(previous), generation]) : null;
  const before = useFetch(beforeKey, () => cachedMap(mapParams(previous!), generation));
  const grid = useFetch(meta ? `${base}\0${step}\0${example}\0grid\0${live.reloadCount}` : null, () =>
    cachedGrid(run, tag, step, example, generation),
  );
  // Once this step is shown, fetch its neighbours so the scrubber (and play) switch from memory.
  useEffect(() => {
    if (!current.data || !grid.data) return;
    const i = steps.indexOf(step);
    for (const neighbour of [steps[i + 1], steps[i - 1]]) {
      if (neighbour === undefined) continue;
      void cachedExample(run, tag, neighbour, example, generation).catch(() => undefined);
      void cachedMap(mapParams(neighbour), generation).catch(() => undefined);
      void cachedGrid(run, tag, neighbour, example, generation).catch(() => undefined);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- mapParams is derived from the values listed
  }, [current.data, grid.data, run, tag, step, example, steps, safeView, safeLayer, safeHead, zoom, generation]);

  const sharedParams = { example, view: safeView, layer: safeLayer, head: safeHead, size: MAP_SIZE, ...(zoom ?? {}) };
  const compared = useCompared(
    compareRuns.map((r) => ({ run: r, steps: live.tags?.[r]?.[tag]?.steps ?? [] })),
    tag,
    step,
    sharedParams,
    generation,
  );
  const comparing = tag !== "" && compareRuns.length > 0 && !diff;
  const compareDomain: [number, number] | undefined = comparing
    ? [0, sharedMax([current.data, ...(compared.data ?? []).map((l) => l.map)])]
    : undefined;

  const shown: AttentionMap | null = useMemo(() => {
    const map = current.data;
    if (!map || !diff) return map;
    const old = before.data;
    if (!old || old.rows !== map.rows || old.cols !== map.cols) return null;
    return { ...map, values: map.values.map((v, i) => v - old.values[i]) };
  }, [current.data, before.data, diff]);
  const diffProblem =
    diff && previous === undefined
      ? "no previous step to compare with"
      : diff && current.data && before.data && !shown
        ? "the previous step's map has another size"
        : null;

  const queryTokens = meta?.query_tokens ?? NO_TOKENS;
  const keyTokens = meta?.key_tokens ?? NO_TOKENS;
  const rowLabels = useMemo(
    () => (shown ? blockLabels(queryTokens, shown.q0, shown.q1, shown.strideQ) : []),
    [shown, queryTokens],
  );
  const colLabels = useMemo(
    () => (shown ? blockLabels(keyTokens, shown.k0, shown.k1, shown.strideK) : []),
    [shown, keyTokens],
  );
  const domain = useMemo((): [number, number] | undefined => {
    if (!diff || !shown) return undefined;
    let m = 0;
    for (const v of shown.values) m = Math.max(m, Math.abs(v));
    return [-m || -1, m || 1];
  }, [diff, shown]);

  return {
    info,
    meta,
    layerCount,
    headCount,
    safeLayer,
    safeHead,
    safeView,
    current,
    grid,
    compared,
    comparing,
    compareDomain,
    shown,
    diffProblem,
    queryTokens,
    keyTokens,
    rowLabels,
    colLabels,
    domain,
  };
}

export type AttentionMaps = ReturnType<typeof useAttentionMaps>;
