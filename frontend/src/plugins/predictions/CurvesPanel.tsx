/** ROC and precision-recall curves per class, the selected runs overlaid (one dash per run). */
import { useMemo } from "react";
import { safeFilename } from "../../lib/exportPng";
import { formatMetric } from "../../lib/format";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { seriesColor } from "../../lib/theme";
import type { PredRecord } from "./record";

/** Both axes of ROC and PR charts; one constant so the chart is not rebuilt on every render. */
const UNIT_RANGE: [number, number] = [0, 1];
export const DASHES: (number[] | undefined)[] = [undefined, [6, 3], [2, 2], [8, 3, 2, 3]];
export const CHANCE_LABEL = "chance (AUC 0.5)";

function buildSeries(
  runs: readonly string[],
  records: Map<string, PredRecord>,
  classes: readonly number[],
  kind: "roc" | "pr",
): LineSeries[] {
  const out: LineSeries[] = [];
  runs.forEach((run, r) => {
    const rec = records.get(run);
    if (!rec) return;
    for (const c of classes) {
      const curve = kind === "roc" ? rec.roc(c) : rec.pr(c);
      if (!curve || curve.x.length === 0) continue;
      const score = kind === "roc" ? rec.auc?.[c] : rec.ap?.[c];
      out.push({
        // Both curves arrive with x ascending (docs/http_api.md), as uPlot wants them.
        x: curve.x,
        y: curve.y,
        label: runs.length > 1 ? `${run} · ${rec.classNames[c]}` : rec.classNames[c],
        color: seriesColor(c),
        dash: DASHES[r % DASHES.length],
        note: score === undefined ? undefined : `${kind === "roc" ? "AUC" : "AP"} ${formatMetric(score)}`,
      });
    }
  });
  // The chance diagonal: a classifier that ranks at random.
  if (kind === "roc" && out.length) out.push({ label: CHANCE_LABEL, color: "#9aa0a6", x: [0, 1], y: [0, 1], dash: [3, 3] });
  return out;
}

/** Micro and macro averages of each run, for the legend: "run_a: micro AUC 0.95, macro AUC 0.94". */
export function averagesLine(runs: readonly string[], records: Map<string, PredRecord>, kind: "roc" | "pr"): string {
  const name = kind === "roc" ? "AUC" : "AP";
  return runs
    .flatMap((run) => {
      const m = records.get(run)?.meta;
      if (!m) return [];
      const micro = kind === "roc" ? m.micro_auc : m.micro_ap;
      const macro = kind === "roc" ? m.macro_auc : m.macro_ap;
      const text = `micro ${name} ${formatMetric(micro ?? NaN)}, macro ${name} ${formatMetric(macro ?? NaN)}`;
      return [runs.length > 1 ? `${run}: ${text}` : text];
    })
    .join(" · ");
}

function ChartBox(props: { title: string; kind: "roc" | "pr"; series: LineSeries[]; summary: string; figureTitle: string; filename: string }) {
  const roc = props.kind === "roc";
  return (
    <div className="tbs-panel" style={{ flex: "1 1 380px", minWidth: 320 }}>
      <h3>{props.title}</h3>
      <LineChart
        series={props.series}
        xLabel={roc ? "FPR" : "recall"}
        yLabel={roc ? "TPR" : "precision"}
        xRange={UNIT_RANGE}
        yRange={UNIT_RANGE}
        testId={roc ? "roc-chart" : "pr-chart"}
        title={props.figureTitle}
        filename={props.filename}
        legendSummary={props.summary}
      />
    </div>
  );
}

export function CurvesPanel(props: {
  runs: readonly string[];
  records: Map<string, PredRecord>;
  classes: readonly number[];
  tag: string;
  /** Each run's step. */
  steps: Map<string, number>;
}) {
  const { runs, records, classes, steps } = props;
  const roc = useMemo(() => buildSeries(runs, records, classes, "roc"), [runs, records, classes]);
  const pr = useMemo(() => buildSeries(runs, records, classes, "pr"), [runs, records, classes]);
  const where = runs.map((r) => `${r} @ step ${steps.get(r) ?? "?"}`).join(", ");
  const dashNote = runs.length > 1 ? ` (${runs.map((r, i) => `${r} ${["solid", "dashed", "dotted", "dash-dot"][i % DASHES.length]}`).join(", ")})` : "";
  return (
    <div className="tbs-row" style={{ alignItems: "stretch" }}>
      <ChartBox
        title={`ROC${dashNote}`}
        kind="roc"
        series={roc}
        summary={averagesLine(runs, records, "roc")}
        figureTitle={`${props.tag} · ROC · ${where}`}
        filename={safeFilename(props.tag, "roc")}
      />
      <ChartBox
        title={`Precision–recall${dashNote}`}
        kind="pr"
        series={pr}
        summary={averagesLine(runs, records, "pr")}
        figureTitle={`${props.tag} · precision–recall · ${where}`}
        filename={safeFilename(props.tag, "pr")}
      />
    </div>
  );
}
