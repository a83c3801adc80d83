/** The top-k next-token probabilities of one prediction as bars, the target highlighted with its rank. */
import { formatPercent, formatValue } from "../../lib/format";
import { visibleText, type TokensRecord } from "./record";
import type { TokenRef } from "./TokenStrip";

export function TopKPanel({ record, token, testId = "topk-panel" }: { record: TokensRecord; token: TokenRef; testId?: string }) {
  const row = token.seq * record.length;
  const shown = visibleText(record, record.inputIds[row + token.pos]);
  if (token.pos === 0) {
    return (
      <div className="tbs-panel" data-testid={testId}>
        <h3>Token {shown} (position 0): the first token has no prediction</h3>
      </div>
    );
  }
  const at = row + token.pos - 1;
  const target = record.targets[at];
  const rank = record.rank[at];
  const bars = [];
  for (let j = 0; j < record.k; j++) {
    const id = record.topkIds[at * record.k + j];
    if (id < 0) break;
    bars.push({ id, p: record.topkProbs[at * record.k + j] });
  }
  const inTop = bars.some((b) => b.id === target);
  const top = bars.length ? bars[0].p : 1;
  return (
    <div className="tbs-panel" data-testid={testId}>
      <h3>
        {token.run} · sequence {token.seq} · predicting position {token.pos} ({shown}) from position {token.pos - 1}
      </h3>
      <div className="tbs-muted" style={{ marginBottom: 6 }}>
        entropy {formatValue(record.entropy[at])} nats
        {target >= 0 &&
          ` · target ${visibleText(record, target)} rank ${rank > 0 ? rank : "?"} · p ${formatValue(Math.exp(-record.loss[at]))} · loss ${formatValue(record.loss[at])}`}
      </div>
      <div className="tbs-topk">
        {bars.map((b, j) => (
          <div key={j} className={b.id === target ? "target" : ""} style={{ display: "contents" }} data-testid="topk-bar">
            <span className="tok">
              {j + 1}. {visibleText(record, b.id)}
            </span>
            <div>
              <div className="bar" style={{ width: `${(100 * b.p) / Math.max(top, 1e-9)}%` }} />
            </div>
            <span>{formatPercent(b.p)}</span>
          </div>
        ))}
        {target >= 0 && !inTop && (
          <div className="target" style={{ display: "contents" }} data-testid="topk-target">
            <span className="tok">
              {rank > 0 ? rank : "?"}. {visibleText(record, target)}
            </span>
            <div>
              <div className="bar" style={{ width: `${(100 * Math.exp(-record.loss[at])) / Math.max(top, 1e-9)}%` }} />
            </div>
            <span>{formatPercent(Math.exp(-record.loss[at]))}</span>
          </div>
        )}
      </div>
    </div>
  );
}
