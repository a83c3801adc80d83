/** The tbs_attention tab: one head (or a layer's average, or the rollout) as a token x token heatmap,
 * every head as a grid of thumbnails, head statistics over training, a step scrubber with play and a
 * difference-from-previous-step mode. Tokens are only ever drawn on the canvas or set as text. */
import { COLORMAPS, cssGradient } from "../../lib/colormaps";
import { ErrorBox, Field, NumberSelect, Select, StepSlider, indices } from "../../lib/pickers";
import { useFetch } from "../../lib/useFetch";
import { ComparePanel } from "./ComparePanel";
import { getHeadStats } from "./data";
import { HeadGrid } from "./HeadGrid";
import { MapPanel } from "./MapPanel";
import type { View } from "./record";
import { StatsPanel } from "./StatsPanel";
import { useAttentionMaps } from "./useMaps";
import { useAttentionSelection } from "./useSelection";

const VIEWS: { value: View; label: string }[] = [
  { value: "head", label: "one head" },
  { value: "layer", label: "layer average" },
  { value: "rollout", label: "rollout" },
];

export function AttentionApp() {
  const sel = useAttentionSelection();
  const maps = useAttentionMaps(sel);
  const { live, runs, run, setRun, runTags, attentionTags, statsTags, tag, setTag, statsTag, setStatsTag } = sel;
  const { steps, step, setStep, example, setExample, setView, setLayer, setHead, diff, setDiff, playing, setPlaying } = sel;
  const { colormap, setColormap, compareCandidates, compareRuns, setCompare } = sel;
  const { info, meta, layerCount, headCount, safeLayer, safeHead, safeView, current, grid, compared, comparing } = maps;
  const { compareDomain, diffProblem } = maps;

  const stats = useFetch(statsTag ? `${run}\0${statsTag}\0${live.reloadCount}\0${runTags[statsTag]?.steps.length}` : null, (signal) =>
    getHeadStats(run, statsTag, signal),
  );
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
          <MapPanel sel={sel} maps={maps} title={title} />
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
