/** The confusion-matrix heatmap: raw or normalized, or the difference of two records. */
import { useCallback, useMemo, useRef, useState } from "react";
import type { ColormapName } from "../../lib/colormaps";
import { formatMs, formatPercent, formatValue } from "../../lib/format";
import { Field } from "../../lib/pickers";
import { Heatmap } from "../../lib/Heatmap";
import type { ColorBarSpec } from "../../lib/heatmapPaint";
import {
  colSums,
  difference,
  groupedOrder,
  hideDiagonal,
  logValues,
  matchClasses,
  maxAbs,
  normalize,
  rowSums,
  submatrix,
  topConfusions,
  type NormMode,
} from "./confusion";
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

export type ClassOrder = "index" | "grouped";
const TOP_N = 20;

export function ConfusionPanel(props: ConfusionPanelProps) {
  const { record, baseline, mode } = props;
  const C = record.numClasses;
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const arrivedAt = useRef(props.arrivedAt);
  arrivedAt.current = props.arrivedAt;
  const reported = useRef<number | null>(null);
  const [logScale, setLogScale] = useState(false);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const [order, setOrder] = useState<ClassOrder>("index");
  const [query, setQuery] = useState("");
  const [focus, setFocus] = useState<{ row: number; col: number; key: number } | null>(null);

  // Row/column sums are only needed for tooltips: computed on first hover, not before the first draw.
  const sums = useMemo(() => {
    let cached: { row: Float64Array; col: Float64Array } | null = null;
    return () => (cached ??= { row: rowSums(record.confusion, C), col: colSums(record.confusion, C) });
  }, [record, C]);
  const shown = useMemo(() => normalize(record.confusion, C, mode), [record, C, mode]);
  const diffError = baseline && baseline.numClasses !== C ? "the two records have different class counts" : null;
  const full = useMemo(
    () => (baseline && !diffError ? difference(shown, normalize(baseline.confusion, C, mode)) : shown),
    [baseline, diffError, shown, C, mode],
  );
  const diffing = baseline !== null && !diffError;
  const useLog = logScale && !diffing;

  // The classes shown, in display order: grouped by confusion or by index, filtered by the search.
  const grouped = useMemo(() => (order === "grouped" ? groupedOrder(record.confusion, C) : null), [order, record, C]);
  const idx = useMemo(() => {
    const base = grouped ?? Array.from({ length: C }, (_, i) => i);
    if (!query) return base;
    const keep = new Set(matchClasses(record.classNames, query));
    return base.filter((i) => keep.has(i));
  }, [grouped, query, record, C]);
  const identity = idx.length === C && idx.every((v, i) => v === i);
  const position = useMemo(() => new Map(idx.map((c, i) => [c, i])), [idx]);
  const display = useMemo(() => {
    let values: ArrayLike<number> = identity ? full : submatrix(full, C, idx);
    if (errorsOnly) values = hideDiagonal(values, idx);
    let offset = 0;
    if (useLog) ({ values, offset } = logValues(values, mode === "raw"));
    return { values, offset };
  }, [full, identity, idx, C, errorsOnly, useLog, mode]);
  const labels = useMemo(() => idx.map((i) => record.classNames[i]), [idx, record]);

  const domain = useMemo<[number, number] | undefined>(() => {
    if (diffing) {
      const m = maxAbs(errorsOnly ? display.values : full);
      return [-m, m];
    }
    return mode === "raw" || errorsOnly || useLog ? undefined : [0, 1];
  }, [diffing, display, full, errorsOnly, useLog, mode]);

  const tooltipExtra = useCallback(
    (dr: number, dc: number) => {
      const r = idx[dr];
      const c = idx[dc];
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
    [record, baseline, diffing, sums, C, idx],
  );

  const { offset } = display;
  const formatCell = useCallback(
    (v: number) => {
      const real = useLog ? 10 ** v - offset : v;
      return mode === "raw" && !useLog ? formatValue(real) : formatValue(real, mode === "raw" ? 3 : 2);
    },
    [mode, useLog, offset],
  );
  const bar = confusionColorBar(mode, diffing);
  const colorBar: ColorBarSpec = useLog
    ? { ...bar.colorBar, title: `${bar.colorBar.title} (log scale)`, format: (t) => formatValue(Math.max(0, 10 ** t - offset)) }
    : errorsOnly && !diffing
      ? { ...bar.colorBar, title: `${bar.colorBar.title}, errors only (diagonal hidden)` }
      : bar.colorBar;

  // Only the first draw after new data measures data-to-drawn; later redraws (resize) do not.
  const onDrawn = useCallback(() => {
    if (reported.current === arrivedAt.current || !canvas.current) return;
    reported.current = arrivedAt.current;
    canvas.current.dataset.arrivalToDrawnMs = formatMs(performance.now() - arrivedAt.current);
  }, []);

  const top = useMemo(() => topConfusions(record.confusion, C, TOP_N), [record, C]);
  const jump = (row: number, col: number) => {
    if (!position.has(row) || !position.has(col)) setQuery("");
    setFocus((f) => ({ row, col, key: (f?.key ?? 0) + 1 }));
    props.onCellClick(row, col);
  };
  const shownFocus = focus && position.has(focus.row) && position.has(focus.col)
    ? { row: position.get(focus.row)!, col: position.get(focus.col)!, key: focus.key }
    : null;
  const selected = props.selected && position.has(props.selected.row) && position.has(props.selected.col)
    ? { row: position.get(props.selected.row)!, col: position.get(props.selected.col)! }
    : null;

  return (
    <div className="tbs-row" style={{ flex: "1 1 560px", minWidth: 320, alignItems: "flex-start" }}>
      <div style={{ flex: "1 1 480px", minWidth: 320 }} data-testid="confusion-panel" data-classes={JSON.stringify(idx)}>
        <div className="tbs-row tbs-matrix-tools">
          <label title="colour by log10 of the value, so small counts show next to large ones">
            <input type="checkbox" checked={logScale} disabled={diffing} data-testid="log-colors" onChange={(e) => setLogScale(e.target.checked)} /> log scale
          </label>
          <label title="hide the diagonal and fit the colours to the errors">
            <input type="checkbox" checked={errorsOnly} data-testid="errors-only" onChange={(e) => setErrorsOnly(e.target.checked)} /> errors only
          </label>
          <select value={order} data-testid="class-order" aria-label="class order" onChange={(e) => setOrder(e.target.value as ClassOrder)}>
            <option value="index">classes in index order</option>
            <option value="grouped">confused classes together</option>
          </select>
          <input
            type="search"
            placeholder="find classes (regex)"
            value={query}
            data-testid="class-search"
            onChange={(e) => setQuery(e.target.value)}
            style={{ width: 160 }}
          />
          {query && <span className="tbs-muted" data-testid="class-count">{idx.length} of {C} classes</span>}
        </div>
        <div className="tbs-muted">click a cell for its examples · wheel: zoom · drag: pan · double-click: reset</div>
        {diffError && <div className="tbs-error">{diffError}</div>}
        {idx.length === 0 ? (
          <div className="tbs-empty">No class name matches “{query}”.</div>
        ) : (
          <Heatmap
            rows={idx.length}
            cols={idx.length}
            values={display.values}
            rowLabels={labels}
            colLabels={labels}
            rowTitle="true"
            colTitle="predicted"
            colormap={diffing ? "diverging" : props.colormap}
            domain={domain}
            formatCell={formatCell}
            tooltipExtra={tooltipExtra}
            onCellClick={(r, c) => props.onCellClick(idx[r], idx[c])}
            selected={selected}
            focus={shownFocus}
            onDrawn={onDrawn}
            canvasRef={(el) => (canvas.current = el)}
            colorBar={colorBar}
            caption={bar.caption}
            exportTitle={props.title}
            exportFilename={props.filename}
          />
        )}
      </div>
      {C > 2 && top.length > 0 && (
        <Field label={`Top ${top.length} confusions`}>
          <ol className="tbs-top-confusions" data-testid="top-confusions">
            {top.map((t) => (
              <li key={`${t.row}-${t.col}`}>
                <button type="button" data-testid="top-confusion" onClick={() => jump(t.row, t.col)} title="show this cell and its examples">
                  <span>{record.classNames[t.row]} → {record.classNames[t.col]}</span>
                  <span className="tbs-muted">
                    {t.count} · {formatPercent(t.rate)}
                  </span>
                </button>
              </li>
            ))}
          </ol>
        </Field>
      )}
    </div>
  );
}
