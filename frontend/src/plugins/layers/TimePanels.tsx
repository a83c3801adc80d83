/** Panels over training: a layer x step heatmap of one statistic, and one layer's distributions over steps. */
import { useCallback, useMemo, useRef } from "react";
import { safeFilename } from "../../lib/exportPng";
import { formatMs, formatValue } from "../../lib/format";
import { Heatmap } from "../../lib/Heatmap";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { Swatch } from "../../lib/pickers";
import { runColor } from "../../lib/theme";
import type { Distribution, Series } from "./data";
import { binCenters, finiteValues, flipRows, log10Values, RANGE, type Kind, type LayersRecord } from "./record";

export function LayerStepHeatmap(props: {
  series: Series;
  tag: string;
  statLabel: string;
  log: boolean;
  color: string;
  selectedLayer: string | null;
  selectedStep: number;
  onOpen: (layer: string, step: number) => void;
}) {
  const { series, log } = props;
  const rows = series.layers.length;
  const cols = series.steps.length;
  const values = useMemo(() => (log ? log10Values(series.values) : finiteValues(series.values)), [series, log]);
  const colLabels = useMemo(() => Array.from(series.steps, String), [series]);
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const reported = useRef(0);
  // The first draw after new data records data-arrival-to-drawn time (tests, benchmark).
  const onDrawn = useCallback(() => {
    if (!canvas.current || reported.current === series.arrivedAt) return;
    reported.current = series.arrivedAt;
    canvas.current.dataset.arrivalToDrawnMs = formatMs(performance.now() - series.arrivedAt);
  }, [series]);
  const row = props.selectedLayer === null ? -1 : series.layers.indexOf(props.selectedLayer);
  const col = Array.from(series.steps).indexOf(props.selectedStep);
  const format = useCallback((v: number) => formatValue(log ? 10 ** v : v), [log]);
  const title = `${props.statLabel} · ${series.run} · ${props.tag}`;
  return (
    <div className="tbs-panel" data-testid="layer-step-heatmap">
      <h3>
        <Swatch color={props.color} /> {props.statLabel} per layer and step · {series.run}
        <span className="tbs-muted"> · click a cell to open that layer at that step</span>
      </h3>
      <Heatmap
        rows={rows}
        cols={cols}
        values={values}
        rowLabels={series.layers}
        colLabels={colLabels}
        rowTitle="layer"
        colTitle="step"
        colormap="viridis"
        formatCell={format}
        colorBar={{ title: props.statLabel + (log ? " (log scale)" : ""), format }}
        tooltipExtra={(r, c) => [`${props.statLabel}: ${formatValue(series.values[r * cols + c])}`]}
        onCellClick={(r, c) => props.onOpen(series.layers[r], series.steps[c])}
        selected={row >= 0 && col >= 0 ? { row, col } : null}
        onDrawn={onDrawn}
        canvasRef={(el) => (canvas.current = el)}
        maxSize={900}
        exportTitle={title}
        exportFilename={safeFilename(series.run, props.tag, props.statLabel)}
      />
    </div>
  );
}

export function Distributions(props: {
  distributions: readonly Distribution[];
  records: Map<string, LayersRecord> | undefined;
  colors: Map<string, string>;
  tag: string;
  layer: string;
  kind: Kind;
  step: number;
  onStep: (step: number) => void;
}) {
  const { layer, kind, records } = props;
  const histograms = useMemo<LineSeries[]>(() => {
    const out: LineSeries[] = [];
    for (const [run, record] of records ?? []) {
      const i = record.meta.layers.indexOf(layer);
      if (i < 0) continue;
      const lo = record.stat(RANGE[kind][0])[i];
      const hi = record.stat(RANGE[kind][1])[i];
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
      const bins = record.meta.bins;
      const all = record.hist(kind);
      const hist = Array.from({ length: bins }, (_, b) => all[i * bins + b]);
      out.push({ label: run, color: runColor(props.colors, run), x: binCenters(lo, hi, bins), y: hist });
    }
    return out;
  }, [records, layer, kind, props.colors]);
  return (
    <div className="tbs-panel" data-testid="distributions">
      <h3>
        {kind} of {layer} over training
      </h3>
      <div className="tbs-row" style={{ alignItems: "flex-start" }}>
        {props.distributions.map((d) => (
          <DensityMap key={d.run} distribution={d} color={runColor(props.colors, d.run)} tag={props.tag} layer={layer} kind={kind} onStep={props.onStep} />
        ))}
        {histograms.length > 0 && (
          <div style={{ flex: "1 1 360px" }} data-testid="step-histogram">
            <div>Histogram at step {props.step}</div>
            <LineChart
              series={histograms}
              xLabel={kind === "activations" ? "activation" : kind === "gradients" ? "gradient" : "weight"}
              yLabel="fraction"
              height={220}
              title={`${kind} of ${layer} at step ${props.step} · ${props.tag}`}
            />
          </div>
        )}
      </div>
    </div>
  );
}

function DensityMap(props: { distribution: Distribution; color: string; tag: string; layer: string; kind: Kind; onStep: (step: number) => void }) {
  const d = props.distribution;
  const bins = d.edges.length - 1;
  const cols = d.steps.length;
  // Memoized: the map redraws when its data arrives, not on every render of the tab.
  const values = useMemo(() => flipRows(d.density, bins, cols), [d, bins, cols]);
  const rowLabels = useMemo(() => Array.from({ length: bins }, (_, b) => formatValue((d.edges[bins - 1 - b] + d.edges[bins - b]) / 2)), [d, bins]);
  const colLabels = useMemo(() => Array.from(d.steps, String), [d]);
  const axis = props.kind === "activations" ? "activation" : props.kind === "gradients" ? "gradient" : "weight";
  return (
    <div style={{ flex: "1 1 420px" }}>
      <div>
        <Swatch color={props.color} /> {d.run}: density over steps (value bins × steps)
      </div>
      <Heatmap
        rows={bins}
        cols={cols}
        values={values}
        rowLabels={rowLabels}
        colLabels={colLabels}
        rowTitle={axis}
        colTitle="step"
        colormap="magma"
        colorBar={{ title: "fraction of values" }}
        onCellClick={(_, c) => props.onStep(d.steps[c])}
        maxSize={520}
        exportTitle={`${props.kind} of ${props.layer} · ${d.run} · ${props.tag}`}
        exportFilename={safeFilename(d.run, props.tag, props.layer, props.kind)}
      />
    </div>
  );
}
