/** ROC and precision-recall curves per class, the selected runs overlaid. */
import { useMemo, useRef } from "react";
import type uPlot from "uplot";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { safeFilename } from "../../lib/exportPng";
import { formatMetric } from "../../lib/format";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { seriesColor } from "../../lib/theme";
import { ascending } from "./curves";
import type { PredRecord } from "./record";

/** Both axes of ROC and PR charts; one constant so the chart is not rebuilt on every render. */
const UNIT_RANGE: [number, number] = [0, 1];
const DASHES: (number[] | undefined)[] = [undefined, [6, 3], [2, 2], [8, 3, 2, 3]];

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
        ...ascending(curve),
        label: runs.length > 1 ? `${run} · ${rec.classNames[c]}` : rec.classNames[c],
        color: seriesColor(c),
        dash: DASHES[r % DASHES.length],
        note: score === undefined ? undefined : `${kind === "roc" ? "AUC" : "AP"} ${formatMetric(score)}`,
      });
    }
  });
  return out;
}

function ChartBox(props: { title: string; kind: "roc" | "pr"; series: LineSeries[]; filename: string }) {
  const chart = useRef<uPlot | null>(null);
  const roc = props.kind === "roc";
  return (
    <div className="tbs-panel" style={{ flex: "1 1 380px", minWidth: 320 }}>
      <div className="tbs-row" style={{ justifyContent: "space-between" }}>
        <h3>{props.title}</h3>
        <ExportPngButton
          getCanvas={() => chart.current?.ctx.canvas ?? null}
          filename={props.filename}
          testId={`export-png-${props.kind}`}
        />
      </div>
      <LineChart
        series={props.series}
        xLabel={roc ? "FPR" : "recall"}
        yLabel={roc ? "TPR" : "precision"}
        xRange={UNIT_RANGE}
        yRange={UNIT_RANGE}
        testId={roc ? "roc-chart" : "pr-chart"}
        onChart={(u) => (chart.current = u)}
      />
    </div>
  );
}

export function CurvesPanel(props: {
  runs: readonly string[];
  records: Map<string, PredRecord>;
  classes: readonly number[];
  tag: string;
}) {
  const { runs, records, classes } = props;
  const roc = useMemo(() => buildSeries(runs, records, classes, "roc"), [runs, records, classes]);
  const pr = useMemo(() => buildSeries(runs, records, classes, "pr"), [runs, records, classes]);
  return (
    <div className="tbs-row" style={{ alignItems: "stretch" }}>
      <ChartBox title="ROC" kind="roc" series={roc} filename={safeFilename(props.tag, "roc")} />
      <ChartBox title="Precision–recall" kind="pr" series={pr} filename={safeFilename(props.tag, "pr")} />
    </div>
  );
}
