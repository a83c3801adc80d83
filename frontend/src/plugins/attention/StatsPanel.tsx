/** Head statistics: entropy / importance as layer x head grids (masked heads crossed out) at the
 * current step, and each layer's mean over training. */
import { useMemo, useState } from "react";
import { Select, indices } from "../../lib/pickers";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { EXPORT_SCALE, safeFilename } from "../../lib/exportPng";
import { renderHeatmapCanvas } from "../../lib/heatmapPaint";
import { colormapLut, cssColor, cssGradient, lutIndex, textColorOn } from "../../lib/colormaps";
import { formatValue } from "../../lib/format";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { seriesColor } from "../../lib/theme";
import type { HeadStats } from "./data";

/** What each statistic's colour means. */
const STAT_MEANING: Record<string, string> = {
  entropy: "entropy (nats): high = attention spread out",
  importance: "importance: high = the loss depends on the head",
  mask: "mask: 1 = head masked",
};

/** A horizontal colour bar (viridis, like the cells) with its limits and meaning. */
export function ColorBar({ title, lo, hi }: { title: string; lo: number; hi: number }) {
  const finite = Number.isFinite(lo) && Number.isFinite(hi);
  return (
    <div className="tbs-colorbar" data-testid="color-bar">
      <span data-testid="color-bar-lo">{formatValue(finite ? lo : NaN)}</span>
      <span className="tbs-colorbar-ramp" style={{ background: cssGradient("viridis") }} />
      <span data-testid="color-bar-hi">{formatValue(finite ? hi : NaN)}</span>
      <span className="tbs-muted">{title}</span>
    </div>
  );
}

/** "L1 H0, L2 H3": the masked heads. */
function maskedList(mask: Float32Array, heads: number): string {
  const out: string[] = [];
  mask.forEach((m, i) => m > 0 && out.push(`L${Math.floor(i / heads)} H${i % heads}`));
  return out.join(", ");
}

function StatGrid(props: { title: string; values: Float32Array; mask: Float32Array | null; layers: number; heads: number; source: string; step: number }) {
  const { values, layers, heads } = props;
  const lut = colormapLut("viridis");
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return (
    <div className="tbs-field" data-testid={`stat-${props.title}`}>
      <span className="tbs-row" style={{ justifyContent: "space-between" }}>
        <span className="tbs-label">{props.title}</span>
        <ExportPngButton
          render={(colors) =>
            renderHeatmapCanvas({
              rows: layers,
              cols: heads,
              values,
              rowLabels: indices(layers).map((l) => `L${l}`),
              colLabels: indices(heads).map((h) => `H${h}`),
              rowTitle: "layer",
              colTitle: "head",
              colormap: "viridis",
              colorBar: { title: STAT_MEANING[props.title] ?? props.title },
              caption: props.mask && props.mask.some((m) => m > 0) ? `masked: ${maskedList(props.mask, heads)}` : undefined,
              colors,
              dpr: EXPORT_SCALE,
            })
          }
          title={`${props.source}${props.title} per head at step ${props.step}`}
          filename={safeFilename(props.source, props.title, String(props.step))}
          testId={`export-png-stat-${props.title}`}
        />
      </span>
      <ColorBar title={STAT_MEANING[props.title] ?? props.title} lo={lo} hi={hi} />
      <table className="tbs-table" style={{ width: "auto" }}>
        <thead>
          <tr>
            <th />
            {Array.from({ length: heads }, (_, h) => <th key={h}>H{h}</th>)}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: layers }, (_, l) => (
            <tr key={l}>
              <td>L{l}</td>
              {Array.from({ length: heads }, (_, h) => {
                const v = values[l * heads + h];
                const k = lutIndex(v, lo, hi);
                const masked = props.mask !== null && props.mask[l * heads + h] > 0;
                const bg = k < 0 ? "transparent" : cssColor(lut, k);
                return (
                  <td
                    key={h}
                    title={`layer ${l}, head ${h}: ${formatValue(v)}${masked ? " (masked)" : ""}`}
                    data-masked={masked || undefined}
                    style={{ background: bg, color: k < 0 ? undefined : textColorOn(lut, k), textAlign: "center",
                      textDecoration: masked ? "line-through" : undefined, outline: masked ? "2px solid var(--tbs-error-fg)" : undefined }}
                  >
                    {masked ? "✕ " : ""}
                    {formatValue(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function StatsPanel({ data, step, source = "" }: { data: HeadStats; step: number; source?: string }) {
  const { layers, heads, steps, stats } = data;
  const size = layers * heads;
  let index = 0;
  steps.forEach((s, i) => {
    if (s <= step) index = i;
  });
  const at = (name: string) => stats[name]?.subarray(index * size, (index + 1) * size) ?? null;
  const mask = at("mask");
  // "means": each layer's mean over heads; a layer number: that layer's heads one by one.
  const [scope, setScope] = useState<"means" | number>("means");
  const curves = useMemo(() => {
    const out: Record<string, LineSeries[]> = {};
    for (const name of ["entropy", "importance"]) {
      const values = stats[name];
      if (!values) continue;
      out[name] =
        scope === "means"
          ? Array.from({ length: layers }, (_, l) => ({
              label: `layer ${l}`,
              color: seriesColor(l),
              x: steps,
              y: steps.map((_, i) => {
                let sum = 0;
                for (let h = 0; h < heads; h++) sum += values[i * size + l * heads + h];
                return sum / heads;
              }),
            }))
          : Array.from({ length: heads }, (_, h) => ({
              label: `L${scope} H${h}`,
              color: seriesColor(h),
              x: steps,
              y: steps.map((_, i) => values[i * size + scope * heads + h]),
            }));
    }
    return out;
  }, [stats, steps, layers, heads, size, scope]);
  const scopeOptions = [{ value: "means", label: "mean over heads, per layer" }, ...indices(layers).map((l) => ({ value: String(l), label: `each head of layer ${l}` }))];
  const what = scope === "means" ? "mean over heads" : `each head of layer ${scope}`;
  return (
    <div className="tbs-panel" data-testid="stats-panel">
      <h3>Head statistics at step {steps[index]}</h3>
      <div className="tbs-row" style={{ alignItems: "flex-start", gap: 24 }}>
        {["entropy", "importance"].map((name) => {
          const values = at(name);
          return values && <StatGrid key={name} title={name} values={values} mask={mask} layers={layers} heads={heads} source={source} step={steps[index]} />;
        })}
        {!at("entropy") && !at("importance") && mask && <StatGrid title="mask" values={mask} mask={mask} layers={layers} heads={heads} source={source} step={steps[index]} />}
      </div>
      {Object.keys(curves).length > 0 && (
        <div className="tbs-toolbar">
          <Select
            label="Over training"
            value={String(scope)}
            options={scopeOptions}
            onChange={(v) => setScope(v === "means" ? "means" : Math.min(Number(v), layers - 1))}
            testId="stats-scope"
          />
        </div>
      )}
      {Object.entries(curves).map(([name, series]) => (
        <div key={name}>
          <h3>
            {name} over training ({what})
          </h3>
          <LineChart series={series} xLabel="step" yLabel={name} height={200} testId={`curve-${name}`} title={`${source}${name} over training (${what})`} />
        </div>
      ))}
    </div>
  );
}
