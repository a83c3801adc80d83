/** The confusion-matrix heatmap: raw or normalized, or the difference of two records. */
import { useCallback, useMemo, useRef } from "react";
import type { ColormapName } from "../../lib/colormaps";
import { formatMs, formatPercent, formatValue } from "../../lib/format";
import { Heatmap } from "../../lib/Heatmap";
import type { ColorBarSpec } from "../../lib/heatmapPaint";
import { colSums, difference, maxAbs, normalize, rowSums, type NormMode } from "./confusion";
import type { PredRecord } from "./record";

export interface ConfusionPanelProps {
  record: PredRecord;
  /** In diff mode: the record subtracted from `record`. */
  baseline: PredRecord | null;
  mode: NormMode;
  colormap: ColormapName;
  selected: { row: number; col: number } | null;
  onCellClick: (row: number, col: number) => void;
  /** performance.now() when `record` arrived; the first draw after it reports the delay. */
  arrivedAt: number;
  filename: string;
  /** Title of the exported figure (tag, run, step). */
  title: string;
}

const SCALE_TITLES: Record<NormMode, string> = {
  raw: "count",
  row: "share of the true class (recall on the diagonal)",
  col: "share of the predicted class (precision on the diagonal)",
};

/** The colour bar of the matrix; in diff mode a diverging one that says which sign is better where. */
export function confusionColorBar(mode: NormMode, diffing: boolean): { colorBar: ColorBarSpec; caption?: string } {
  if (!diffing) return { colorBar: { title: SCALE_TITLES[mode] } };
  return {
    colorBar: { title: `A − B (${mode === "raw" ? "count" : "share"})`, highNote: "red: A more", lowNote: "blue: A fewer" },
    caption: "Diagonal (correct): red, more, is better. Off the diagonal (errors): blue, fewer, is better.",
  };
}

export function ConfusionPanel(props: ConfusionPanelProps) {
  const { record, baseline, mode } = props;
  const C = record.numClasses;
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const arrivedAt = useRef(props.arrivedAt);
  arrivedAt.current = props.arrivedAt;
  const reported = useRef<number | null>(null);

  // Row/column sums are only needed for tooltips: computed on first hover, not before the first draw.
  const sums = useMemo(() => {
    let cached: { row: Float64Array; col: Float64Array } | null = null;
    return () => (cached ??= { row: rowSums(record.confusion, C), col: colSums(record.confusion, C) });
  }, [record, C]);
  const shown = useMemo(() => normalize(record.confusion, C, mode), [record, C, mode]);
  const diffError = baseline && baseline.numClasses !== C ? "the two records have different class counts" : null;
  const values = useMemo(
    () => (baseline && !diffError ? difference(shown, normalize(baseline.confusion, C, mode)) : shown),
    [baseline, diffError, shown, C, mode],
  );
  const diffing = baseline !== null && !diffError;
  const domain = useMemo<[number, number] | undefined>(() => {
    if (diffing) {
      const m = maxAbs(values);
      return [-m, m];
    }
    return mode === "raw" ? undefined : [0, 1];
  }, [diffing, values, mode]);

  const tooltipExtra = useCallback(
    (r: number, c: number) => {
      const count = record.confusion[r * C + c];
      const { row, col } = sums();
      const lines = [
        `count: ${count}`,
        `row rate (of true ${record.classNames[r]}): ${formatPercent(row[r] ? count / row[r] : NaN)}`,
        `column rate (of predicted ${record.classNames[c]}): ${formatPercent(col[c] ? count / col[c] : NaN)}`,
      ];
      if (diffing) lines.push(`baseline count: ${baseline!.confusion[r * C + c]}`);
      return lines;
    },
    [record, baseline, diffing, sums, C],
  );

  const formatCell = useCallback((v: number) => (mode === "raw" ? formatValue(v) : formatValue(v, 2)), [mode]);

  // Only the first draw after new data measures data-to-drawn; later redraws (resize) do not.
  const onDrawn = useCallback(() => {
    if (reported.current === arrivedAt.current || !canvas.current) return;
    reported.current = arrivedAt.current;
    canvas.current.dataset.arrivalToDrawnMs = formatMs(performance.now() - arrivedAt.current);
  }, []);

  return (
    <div style={{ flex: "1 1 560px", minWidth: 320 }}>
      <div className="tbs-muted">click a cell for its examples · wheel: zoom · drag: pan · double-click: reset</div>
      {diffError && <div className="tbs-error">{diffError}</div>}
      <Heatmap
        rows={C}
        cols={C}
        values={values}
        rowLabels={record.classNames}
        colLabels={record.classNames}
        rowTitle="true"
        colTitle="predicted"
        colormap={diffing ? "diverging" : props.colormap}
        domain={domain}
        formatCell={formatCell}
        tooltipExtra={tooltipExtra}
        onCellClick={props.onCellClick}
        selected={props.selected}
        onDrawn={onDrawn}
        canvasRef={(el) => (canvas.current = el)}
        {...confusionColorBar(mode, diffing)}
        exportTitle={props.title}
        exportFilename={props.filename}
      />
    </div>
  );
}
