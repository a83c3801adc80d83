/** The tbs_attention tab: one head (or a layer's average, or the rollout) as a token x token heatmap,
 * every head as a grid of thumbnails, head statistics over training, a step scrubber with play and a
 * difference-from-previous-step mode. Tokens are only ever drawn on the canvas or set as text. */
import { useEffect, useMemo, useState } from "react";
import { COLORMAPS, cssGradient, type ColormapName } from "../../lib/colormaps";
import { safeFilename } from "../../lib/exportPng";
import { Heatmap } from "../../lib/Heatmap";
import { ErrorBox, Field, NumberSelect, Select, StepSlider, indices } from "../../lib/pickers";
import { pickOr, runsOf } from "../../lib/tagSelection";
import { useFetch } from "../../lib/useFetch";
import { useLiveTags } from "../../lib/useLiveTags";
import { HeadGrid } from "./HeadGrid";
import { StatsPanel } from "./StatsPanel";
import { ComparePanel, sharedMax, useCompared } from "./ComparePanel";
import {
  MAP_SIZE,
  blockLabels,
  cachedExample,
  cachedGrid,
  cachedMap,
  getHeadStats,
  type AttentionMap,
  type Region,
  type TagMeta,
  type View,
} from "./data";

const PLAY_MS = 700;
const VIEWS: { value: View; label: string }[] = [
  { value: "head", label: "one head" },
  { value: "layer", label: "layer average" },
  { value: "rollout", label: "rollout" },
];

// Stable empty arrays: a fresh `[]` each render would re-run the effects and memos that depend on them.
const NO_STEPS: number[] = [];
const NO_TOKENS: string[] = [];

export function AttentionApp() {
  const live = useLiveTags<TagMeta>();
  const runs = useMemo(() => runsOf(live.tags), [live.tags]);
  const [pickedRun, setRun] = useState<string | null>(null);
  const run = pickOr(runs, pickedRun, runs[0]) ?? "";
  const runTags = live.tags?.[run] ?? {};
  const tagsOfKind = (kind: string) => Object.keys(runTags).filter((t) => runTags[t].meta.kind === kind).sort();
  const attentionTags = tagsOfKind("attention");
  const statsTags = tagsOfKind("head_stats");
  const [pickedTag, setTag] = useState<string | null>(null);
  const tag = pickOr(attentionTags, pickedTag, attentionTags[0]) ?? "";
  const [pickedStatsTag, setStatsTag] = useState<string | null>(null);
  const statsTag = pickOr(statsTags, pickedStatsTag, statsTags[0]) ?? "";
  const steps = runTags[tag]?.steps ?? NO_STEPS;
  const [pickedStep, setStep] = useState<number | null>(null);
  const step = pickOr(steps, pickedStep, steps.at(-1)) ?? 0;
  const previous = steps[steps.indexOf(step) - 1];

  const [example, setExample] = useState(0);
  const [view, setView] = useState<View>("head");
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState(0);
  const [diff, setDiff] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [zoom, setZoom] = useState<Region | null>(null);
  const [colormap, setColormap] = useState<ColormapName>("viridis");
  const [pickedCompare, setCompare] = useState<string[]>([]);

  useEffect(() => {
    if (!playing || live.hidden || steps.length < 2) return;
    const timer = setInterval(() => {
      setStep((current) => {
        const i = steps.indexOf(current ?? steps.at(-1)!);
        return steps[(i + 1) % steps.length];
      });
    }, PLAY_MS);
    return () => clearInterval(timer);
  }, [playing, live.hidden, steps]);

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
    // mapParams is derived from the values listed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current.data, grid.data, run, tag, step, example, steps, safeView, safeLayer, safeHead, zoom, generation]);
  // Other runs with this tag: the same map side by side.
  const compareCandidates = runs.filter((r) => r !== run && live.tags?.[r]?.[tag]);
  const compareRuns = pickedCompare.filter((r) => compareCandidates.includes(r));
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
  const stats = useFetch(statsTag ? `${run}\0${statsTag}\0${live.reloadCount}\0${runTags[statsTag]?.steps.length}` : null, (signal) =>
    getHeadStats(run, statsTag, signal),
  );

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

  // A downsampled map zooms into MAP_SIZE tokens around the clicked cell, at full resolution.
  const onCellClick = (row: number, col: number) => {
    if (!shown || (shown.strideQ === 1 && shown.strideK === 1)) return;
    const around = (center: number, total: number) => {
      const start = Math.max(0, Math.min(total - MAP_SIZE, center - MAP_SIZE / 2));
      return [start, Math.min(total, start + MAP_SIZE)];
    };
    const [q0, q1] = around(shown.q0 + row * shown.strideQ, queryTokens.length);
    const [k0, k1] = around(shown.k0 + col * shown.strideK, keyTokens.length);
    setZoom({ q0, q1, k0, k1 });
  };
  const openHead = (l: number, h: number) => {
    setView("head");
    setLayer(l);
    setHead(h);
  };

  const title =
    safeView === "head" ? `layer ${safeLayer}, head ${safeHead}` : safeView === "layer" ? `layer ${safeLayer}, mean over heads` : "rollout";
  const error = live.error ?? info.error ?? current.error ?? grid.error ?? stats.error;

  return (
    <div className="tbs-app">
      <div className="tbs-toolbar">
        <Select label="Run" value={run} options={runs} onChange={setRun} testId="run-picker" />
        <Select label="Tag" value={tag} options={attentionTags} onChange={setTag} testId="tag-picker" />
        {meta && meta.examples > 1 && (
          <NumberSelect
            label="Example"
            value={Math.min(example, meta.examples - 1)}
            options={indices(meta.examples)}
            onChange={setExample}
            testId="example-picker"
          />
        )}
        <Select label="View" value={safeView} options={meta?.rollout ? VIEWS : VIEWS.slice(0, 2)} onChange={setView} testId="view-picker" />
        {safeView !== "rollout" && (
          <NumberSelect label="Layer" value={safeLayer} options={indices(layerCount)} onChange={setLayer} testId="layer-picker" />
        )}
        {safeView === "head" && (
          <NumberSelect label="Head" value={safeHead} options={indices(headCount)} onChange={setHead} testId="head-picker" />
        )}
        {tag && <StepSlider steps={steps} value={step} onChange={setStep} />}
        <div className="tbs-field">
          <span className="tbs-label">Scrub</span>
          <div className="tbs-row">
            <button type="button" data-testid="play" aria-pressed={playing} onClick={() => setPlaying(!playing)}>
              {playing ? "Pause" : "Play"}
            </button>
            <button type="button" data-testid="diff" aria-pressed={diff} onClick={() => setDiff(!diff)}>
              Difference from previous step
            </button>
          </div>
        </div>
        <Select label="Colours" value={colormap} options={COLORMAPS} onChange={setColormap} />
        {compareCandidates.length > 0 && (
          <Field label="Compare with">
            <div className="tbs-runs" data-testid="compare-picker">
              {compareCandidates.map((r) => (
                <label key={r} title={r}>
                  <input
                    type="checkbox"
                    checked={compareRuns.includes(r)}
                    onChange={() => setCompare(compareRuns.includes(r) ? compareRuns.filter((x) => x !== r) : [...compareRuns, r])}
                  />
                  <span>{r}</span>
                </label>
              ))}
            </div>
          </Field>
        )}
      </div>
      <ErrorBox message={error ?? diffProblem} />
      {!live.tags && <div className="tbs-muted">loading…</div>}
      {live.tags && runs.length === 0 && (
        <div className="tbs-empty" data-testid="empty-state">
          No attention logged yet. Log maps with tb_suite.log_attention(writer, tag, attentions, tokens=..., step=...) and head
          statistics with tb_suite.log_head_stats(writer, tag, step=..., entropy=..., importance=...).
        </div>
      )}
      {live.tags && runs.length > 0 && attentionTags.length === 0 && (
        <div className="tbs-empty" data-testid="empty-state">
          No attention maps in run {run}
          {statsTags.length ? " (only head statistics, below)" : ""}. Log some with tb_suite.log_attention(writer, tag,
          attentions, tokens=..., step=...).
        </div>
      )}
      {tag && (
        <div className="tbs-row" style={{ alignItems: "flex-start", gap: 24 }}>
          <div className="tbs-panel" data-testid="map-panel">
            <h3>
              {title} · step {step}
              {diff && previous !== undefined ? ` minus step ${previous}` : ""}
              {shown && (shown.strideQ > 1 || shown.strideK > 1)
                ? ` · downsampled ${shown.strideQ}x${shown.strideK}: click to zoom`
                : ""}
            </h3>
            <div className="tbs-row">
              {zoom && (
                <button type="button" data-testid="reset-zoom" onClick={() => setZoom(null)}>
                  Whole map
                </button>
              )}

            </div>
            {shown && (
              <Heatmap
                rows={shown.rows}
                cols={shown.cols}
                values={shown.values}
                rowLabels={rowLabels}
                colLabels={colLabels}
                rowTitle="query"
                colTitle="key"
                colormap={diff ? "diverging" : colormap}
                domain={compareDomain ?? domain}
                maxSize={640}
                onCellClick={onCellClick}
                colorBar={
                  diff
                    ? { title: `weight, step ${step} − step ${previous}`, highNote: "red: more now", lowNote: "blue: less now" }
                    : { title: safeView === "rollout" ? "rollout weight" : "attention weight" }
                }
                exportTitle={`${run} · ${tag} · ${title} · step ${step}${diff && previous !== undefined ? ` minus step ${previous}` : ""}`}
                exportFilename={safeFilename(run, tag, String(step), title)}
              />
            )}
          </div>
          {comparing && (
            <ComparePanel
              loaded={compared.data}
              title={title}
              tag={tag}
              colormap={colormap}
              domain={compareDomain!}
            />
          )}
          {grid.data && (
            <div className="tbs-panel">
              <h3>All heads (click to open)</h3>
              <div className="tbs-colorbar" data-testid="grid-color-bar">
                <span>0</span>
                <span className="tbs-colorbar-ramp" style={{ background: cssGradient(colormap) }} />
                <span className="tbs-muted">each head's own maximum</span>
              </div>
              <HeadGrid
                shape={grid.data.shape}
                values={grid.data.values}
                colormap={colormap}
                selected={safeView === "head" ? { layer: safeLayer, head: safeHead } : null}
                onOpen={openHead}
                exportTitle={`${run} · ${tag} · all heads · step ${step}`}
              />
            </div>
          )}
        </div>
      )}
      {stats.data && (
        <>
          {statsTags.length > 1 && (
            <div className="tbs-toolbar">
              <Select label="Statistics tag" value={statsTag} options={statsTags} onChange={setStatsTag} testId="stats-tag-picker" />
            </div>
          )}
          <StatsPanel data={stats.data} step={step} source={`${run} · ${statsTag} · `} />
        </>
      )}
    </div>
  );
}
