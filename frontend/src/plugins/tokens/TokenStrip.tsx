/** One sequence as a strip of token boxes, each coloured by the prediction that led to it. */
import { memo } from "react";
import { colormapLut, cssColor, lutIndex, textColorOn } from "../../lib/colormaps";
import { formatValue } from "../../lib/format";
import { metricPosition, metricValue, visibleText, type Metric, type TokensRecord } from "./record";

export interface TokenRef {
  run: string;
  seq: number;
  /** Position of the token shown; its prediction was made at `pos - 1`. */
  pos: number;
}

const LUT = colormapLut("viridis");

function Box(props: {
  record: TokensRecord;
  metric: Metric;
  seq: number;
  pos: number;
  selected: boolean;
  onHover: (pos: number, rect: DOMRect) => void;
  onClick: (pos: number) => void;
}) {
  const { record, metric, seq, pos } = props;
  const row = seq * record.length;
  const id = record.inputIds[row + pos];
  const from = pos > 0 ? row + pos - 1 : -1; // the prediction of this token
  const value = from >= 0 ? metricValue(record, metric, from) : NaN;
  const index = lutIndex(metricPosition(record, metric, value), 0, 1);
  const predicted = from >= 0 ? record.topkIds[from * record.k] : -1;
  const correct = from >= 0 && record.rank[from] === 1;
  const style = index >= 0 ? { background: cssColor(LUT, index), color: textColorOn(LUT, index) } : undefined;
  const classes = ["tbs-token", record.special.has(id) ? "special" : "", correct ? "correct" : "", props.selected ? "selected" : ""];
  return (
    <div
      className={classes.join(" ")}
      style={style}
      data-testid="token"
      data-pos={pos}
      data-color={style?.background ?? "none"}
      title={`${metric}: ${formatValue(value)}`}
      onMouseEnter={(e) => props.onHover(pos, e.currentTarget.getBoundingClientRect())}
      onClick={() => props.onClick(pos)}
    >
      <span className="tbs-token-text">{visibleText(record, id)}</span>
      <span className="tbs-token-id">{id >= 0 ? id : ""}</span>
      <span className="tbs-token-pred" data-testid="token-pred">
        {predicted >= 0 ? (correct ? "✓ " : "") + visibleText(record, predicted) : " "}
      </span>
    </div>
  );
}

export const TokenStrip = memo(function TokenStrip(props: {
  run: string;
  record: TokensRecord;
  seq: number;
  metric: Metric;
  selectedPos: number | null;
  /** The hovered token and its box on screen; null when the pointer leaves the strip. */
  onHover: (ref: TokenRef | null, rect?: DOMRect) => void;
  onSelect: (ref: TokenRef) => void;
}) {
  const { record, seq, run } = props;
  const row = seq * record.length;
  const positions: number[] = [];
  for (let p = 0; p < record.length; p++) if (record.mask[row + p]) positions.push(p);
  const last = positions.at(-1);
  const next = last !== undefined ? record.topkIds[(row + last) * record.k] : -1;
  const seqLoss = record.meta.seq_loss[seq];
  return (
    <div className="tbs-strip-wrap">
      <div className="tbs-muted">
        {run} · sequence {seq}
        {seqLoss != null && ` · loss ${formatValue(seqLoss)} · perplexity ${formatValue(record.meta.seq_perplexity[seq] ?? NaN)}`}
      </div>
      <div className="tbs-strip" data-testid="token-strip" data-run={run} data-seq={seq} onMouseLeave={() => props.onHover(null)}>
        {positions.map((pos) => (
          <Box
            key={pos}
            record={record}
            metric={props.metric}
            seq={seq}
            pos={pos}
            selected={props.selectedPos === pos}
            onHover={(p, rect) => props.onHover({ run, seq, pos: p }, rect)}
            onClick={(p) => props.onSelect({ run, seq, pos: p })}
          />
        ))}
        {next >= 0 && (
          <div className="tbs-token next" title="predicted next token">
            <span className="tbs-token-text">…</span>
            <span className="tbs-token-id"> </span>
            <span className="tbs-token-pred">{visibleText(record, next)}</span>
          </div>
        )}
      </div>
    </div>
  );
});

export const STRIP_CSS = `
.tbs-strip-wrap { display: flex; flex-direction: column; gap: 2px; }
.tbs-strip { display: flex; flex-wrap: wrap; gap: 3px; }
.tbs-token { display: flex; flex-direction: column; align-items: center; min-width: 22px; max-width: 140px;
  padding: 2px 4px; border: 1px solid var(--tbs-border); border-radius: 3px; cursor: pointer;
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; background: var(--tbs-panel); }
.tbs-token > span { white-space: pre; overflow: hidden; text-overflow: ellipsis; max-width: 132px; }
.tbs-token-id { font-size: 9px; opacity: .55; line-height: 1; }
.tbs-token-pred { font-size: 10px; opacity: .85; border-top: 1px dotted currentColor; margin-top: 1px; }
.tbs-token.special { border-style: dashed; font-style: italic; }
.tbs-token.correct { box-shadow: inset 0 -3px 0 #2e7d32; }
.tbs-token.selected { outline: 2px solid var(--tbs-accent); outline-offset: 1px; }
.tbs-token.next { border-style: dashed; opacity: .7; background: transparent; }
.tbs-scale { display: inline-block; width: 160px; height: 10px; border: 1px solid var(--tbs-border); vertical-align: middle; }
.tbs-topk { display: grid; grid-template-columns: max-content 1fr max-content; gap: 2px 8px; align-items: center; font-size: 12px; min-width: 320px; }
.tbs-topk .bar { height: 12px; background: var(--tbs-muted); border-radius: 2px; }
.tbs-topk .target { font-weight: 600; color: #2e7d32; }
.tbs-topk .target .bar { background: #2e7d32; }
.tbs-topk .tok { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre; }
`;
