/**
 * The same map (head, layer average or rollout, same example and zoom) in other runs, side by side
 * with the main one, on one colour scale so weights compare across runs. Each run shows its own step
 * for the selected one (its latest not after it); a run that lacks the layer or head says so.
 */
import { useMemo } from "react";
import { safeFilename } from "../../lib/exportPng";
import { Heatmap } from "../../lib/Heatmap";
import type { Params } from "../../lib/api";
import { stepFor } from "../../lib/tagSelection";
import { useFetch } from "../../lib/useFetch";
import type { ColormapName } from "../../lib/colormaps";
import { blockLabels, cachedExample, cachedMap, type AttentionMap, type ExampleInfo } from "./data";

export interface CompareTarget {
  run: string;
  /** The run's own steps for the tag. */
  steps: readonly number[];
}

interface Loaded {
  run: string;
  step: number;
  map: AttentionMap | null;
  info: ExampleInfo | null;
  error: string | null;
}

/** The largest weight of the maps, for one shared [0, max] scale (at least `floor`). */
export function sharedMax(maps: readonly (AttentionMap | null | undefined)[], floor = 0): number {
  let m = floor;
  for (const map of maps) if (map) for (const v of map.values) if (v > m) m = v;
  return m || 1;
}

export function useCompared(
  targets: readonly CompareTarget[],
  tag: string,
  step: number,
  params: Omit<Params, "run" | "step">,
  generation: number,
) {
  const specs = targets.map((t) => ({ run: t.run, step: stepFor(t.steps, step) }));
  const key = tag && specs.length ? JSON.stringify([tag, specs, params, generation]) : null;
  return useFetch(key, () =>
    Promise.all(
      specs.map(async ({ run, step: at }): Promise<Loaded> => {
        try {
          const info = await cachedExample(run, tag, at, Number(params.example ?? 0), generation);
          const map = await cachedMap({ ...params, run, tag, step: at }, generation);
          return { run, step: at, map, info, error: null };
        } catch (e) {
          return { run, step: at, map: null, info: null, error: (e as Error).message };
        }
      }),
    ),
  );
}

export function ComparePanel(props: {
  loaded: readonly Loaded[] | null;
  title: string;
  tag: string;
  colormap: ColormapName;
  domain: [number, number];
}) {
  return (
    <div className="tbs-row" style={{ alignItems: "flex-start" }} data-testid="compare-panel">
      {(props.loaded ?? []).map((l) => (
        <ComparedMap key={l.run} loaded={l} title={props.title} tag={props.tag} colormap={props.colormap} domain={props.domain} />
      ))}
    </div>
  );
}

function ComparedMap(props: { loaded: Loaded; title: string; tag: string; colormap: ColormapName; domain: [number, number] }) {
  const { run, step, map, info, error } = props.loaded;
  const rows = useMemo(() => (map && info ? blockLabels(info.query_tokens, map.q0, map.q1, map.strideQ) : []), [map, info]);
  const cols = useMemo(() => (map && info ? blockLabels(info.key_tokens, map.k0, map.k1, map.strideK) : []), [map, info]);
  return (
    <div className="tbs-panel" data-testid="compare-map" data-run={run}>
      <h3>
        {run} · {props.title} · step {step}
      </h3>
      {error && <div className="tbs-error">{error}</div>}
      {map && (
        <Heatmap
          rows={map.rows}
          cols={map.cols}
          values={map.values}
          rowLabels={rows}
          colLabels={cols}
          rowTitle="query"
          colTitle="key"
          colormap={props.colormap}
          domain={props.domain}
          maxSize={360}
          colorBar={{ title: "attention weight (scale shared by the runs shown)" }}
          exportTitle={`${run} · ${props.tag} · ${props.title} · step ${step}`}
          exportFilename={safeFilename(run, props.tag, String(step), props.title)}
          exportTestId={`export-png-compare-${run}`}
        />
      )}
    </div>
  );
}
