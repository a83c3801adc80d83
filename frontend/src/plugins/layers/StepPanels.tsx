/** Panels of one step: gradient flow, update ratio and dead units per layer, diagnoses, the NaN banner. */
import { useMemo } from "react";
import { formatValue } from "../../lib/format";
import { Swatch } from "../../lib/pickers";
import { safeFilename } from "../../lib/exportPng";
import { BarChart } from "./BarChart";
import type { DiagnosesAnswer } from "./data";
import { layerSeverity, SEVERITY_COLORS, SEVERITY_NAMES, type LayersRecord } from "./record";

interface StepProps {
  run: string;
  tag: string;
  step: number;
  record: LayersRecord;
  color: string;
  selected: number | null;
  onSelect: (layer: number) => void;
}

export function GradientFlow(props: StepProps) {
  const { record, color } = props;
  // Memoized per record: a 1,000-bar chart redraws only when its data changes.
  const flagged = useMemo(() => layerSeverity(record.flags, ["vanishing", "exploding", "nonfinite"]), [record]);
  const series = useMemo(
    () => [
      { label: "mean |grad|", color, values: record.stat("grad_mean_abs") },
      { label: "max |grad|", color, values: record.stat("grad_max_abs") },
    ],
    [record, color],
  );
  const title = `${props.run} · ${props.tag} · step ${props.step}`;
  return (
    <div className="tbs-panel" data-testid="gradient-flow">
      <h3>
        <Swatch color={props.color} /> Gradient flow · {title}
      </h3>
      <BarChart
        labels={record.meta.layers}
        series={series}
        log
        yLabel="|gradient|"
        flagged={flagged}
        selected={props.selected}
        onSelect={props.onSelect}
        testId="gradient-flow-chart"
        exportTitle={`Gradient flow · ${title}`}
        exportFilename={safeFilename(props.run, props.tag, String(props.step), "gradient-flow")}
      />
    </div>
  );
}

export function UpdateAndDead(props: StepProps) {
  const { record, color } = props;
  const t = record.meta.thresholds ?? {};
  const low = t.update_ratio_low ?? 1e-4;
  const high = t.update_ratio_high ?? 1e-2;
  const band = useMemo<[number, number]>(() => [low, high], [low, high]);
  const charts = useMemo(
    () => ({
      ratio: [{ label: "update ratio", color, values: record.stat("update_ratio") }],
      ratioFlags: layerSeverity(record.flags, ["update_ratio"]),
      dead: [{ label: "dead-unit fraction", color, values: record.stat("act_dead_frac") }],
      deadFlags: layerSeverity(record.flags, ["dead"]),
    }),
    [record, color],
  );
  const title = `${props.run} · ${props.tag} · step ${props.step}`;
  return (
    <div className="tbs-row" style={{ alignItems: "flex-start" }}>
      <div className="tbs-panel" style={{ flex: "1 1 420px" }}>
        <h3>Update ratio ‖Δw‖ / ‖w‖ (healthy band {formatValue(band[0])} – {formatValue(band[1])}, reference 1e-3)</h3>
        <BarChart
          labels={record.meta.layers}
          series={charts.ratio}
          log
          yLabel="update ratio"
          band={band}
          reference={1e-3}
          flagged={charts.ratioFlags}
          selected={props.selected}
          onSelect={props.onSelect}
          height={200}
          testId="update-ratio-chart"
          exportTitle={`Update ratio · ${title}`}
          exportFilename={safeFilename(props.run, props.tag, String(props.step), "update-ratio")}
        />
      </div>
      <div className="tbs-panel" style={{ flex: "1 1 420px" }}>
        <h3>Dead units (output 0 for the whole batch)</h3>
        <BarChart
          labels={record.meta.layers}
          series={charts.dead}
          log={false}
          yRange={[0, 1]}
          yLabel="fraction"
          flagged={charts.deadFlags}
          selected={props.selected}
          onSelect={props.onSelect}
          height={200}
          testId="dead-chart"
          exportTitle={`Dead units · ${title}`}
          exportFilename={safeFilename(props.run, props.tag, String(props.step), "dead-units")}
        />
      </div>
    </div>
  );
}

export function NanBanner({ answers }: { answers: readonly DiagnosesAnswer[] }) {
  const hits = answers.filter((a) => a.first_nonfinite);
  if (hits.length === 0) return null;
  return (
    <div className="tbs-error" role="alert" data-testid="nan-banner">
      {hits.map((a) => {
        const f = a.first_nonfinite!;
        return <div key={a.run}>{`${a.run}: first NaN/Inf at step ${f.step} in module ${f.name} (${f.pass})`}</div>;
      })}
    </div>
  );
}

export function DiagnosesPanel(props: { answers: readonly DiagnosesAnswer[]; onOpen: (run: string, layer: string, step: number) => void }) {
  const rows = props.answers.flatMap((a) => a.diagnoses.map((d) => ({ run: a.run, ...d })));
  rows.sort((a, b) => b.severity - a.severity || a.first_step - b.first_step);
  return (
    <div className="tbs-panel" data-testid="diagnoses">
      <h3>Diagnoses {rows.length === 0 && <span className="tbs-muted">· nothing flagged</span>}</h3>
      {rows.length > 0 && (
        <div className="tbs-scroll" style={{ maxHeight: 240 }}>
          <table className="tbs-table">
            <thead>
              <tr>
                <th>severity</th>
                <th>run</th>
                <th>layer</th>
                <th>flag</th>
                <th>first step</th>
                <th>last step</th>
                <th>steps</th>
                <th>worst</th>
                <th>what</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={`${d.run}/${d.kind}/${d.name}`} data-testid="diagnosis" style={{ cursor: "pointer" }} onClick={() => props.onOpen(d.run, d.name, d.first_step)}>
                  <td style={{ color: SEVERITY_COLORS[d.severity] }}>{SEVERITY_NAMES[d.severity]}</td>
                  <td>{d.run}</td>
                  <td>{d.name}</td>
                  <td>{d.kind.replace("_", " ")}</td>
                  <td>{d.first_step}</td>
                  <td>{d.last_step}</td>
                  <td>{d.steps}</td>
                  <td>{d.worst === null ? "–" : formatValue(d.worst)}</td>
                  <td style={{ textAlign: "left" }}>{d.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
