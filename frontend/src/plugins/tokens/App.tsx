/** The tbs_tokens tab: token strips coloured by a metric, top-k on hover, loss and per-token histories. */
import { useCallback, useEffect, useState } from "react";
import { cssGradient } from "../../lib/colormaps";
import { formatValue } from "../../lib/format";
import { ErrorBox, Field, RunTagStepPickers, Select, Swatch, indices, SelectionNotice } from "../../lib/pickers";
import { injectStyle } from "../../lib/theme";
import { useLiveTags } from "../../lib/useLiveTags";
import { useRunTagStep } from "../../lib/useRunTagStep";
import { useHistories, usePositionHistories, useRecords } from "./data";
import { Popover, type Rect } from "../../lib/Popover";
import { LossCharts, TokenSparklines } from "./HistoryPanel";
import { METRICS, visibleText, type Metric, type TokensRecord } from "./record";
import { STRIP_CSS, TokenStrip, type TokenRef } from "./TokenStrip";
import { TopKPanel } from "./TopKPanel";

const DEFAULT_RUNS = 3;
const DEFAULT_SEQUENCES = 4;
const SCALE = cssGradient("viridis");
const SCALE_ENDS: Record<Metric, [string, string]> = {
  target_prob: ["p 0", "p 1"],
  entropy: ["log V", "0 nats"],
  rank: ["rank V", "rank 1"],
  loss: ["≥ log V", "0"],
};

/**
 * `ref` when it names a logged (masked-in) token of the run's current record, else null; kept as is
 * while the records load (`byRun` undefined), so a pin survives a step change where it still exists.
 */
function validToken(ref: TokenRef | null, byRun: Map<string, TokensRecord> | undefined): TokenRef | null {
  if (!ref || !byRun) return ref;
  const record = byRun.get(ref.run);
  if (!record) return null;
  const ok = ref.seq >= 0 && ref.seq < record.batch && ref.pos >= 0 && ref.pos < record.length && record.mask[ref.seq * record.length + ref.pos];
  return ok ? ref : null;
}

function SequencePicker(props: { count: number; selected: number[]; onChange: (s: number[]) => void }) {
  const toggle = (i: number) =>
    props.onChange(props.selected.includes(i) ? props.selected.filter((s) => s !== i) : [...props.selected, i].sort((a, b) => a - b));
  return (
    <Field label="Sequences">
      <div className="tbs-row" data-testid="sequence-picker">
        {Array.from({ length: props.count }, (_, i) => (
          <button key={i} type="button" aria-pressed={props.selected.includes(i)} onClick={() => toggle(i)}>
            {i}
          </button>
        ))}
      </div>
    </Field>
  );
}

export function TokensApp() {
  injectStyle("tbs-tokens-css", STRIP_CSS);
  const live = useLiveTags();
  const selection = useRunTagStep(live.tags, DEFAULT_RUNS);
  const { colors, tag, runsWithTag, specs } = selection;
  const loaded = useRecords(tag, specs, live.reloadCount);

  const [metric, setMetric] = useState<Metric>("target_prob");
  const maxBatch = Math.max(0, ...[...(loaded.data?.byRun.values() ?? [])].map((r) => r.batch));
  const [pickedSeqs, setPickedSeqs] = useState<number[] | null>(null);
  const sequences = (pickedSeqs ?? indices(DEFAULT_SEQUENCES)).filter((s) => s < maxBatch);
  const [hover, setHover] = useState<{ ref: TokenRef; rect: Rect } | null>(null);
  const onHover = useCallback((ref: TokenRef | null, rect?: DOMRect) => setHover(ref && rect ? { ref, rect } : null), []);
  // The popover sits by the token on screen: a scroll moves the token away, so it closes.
  useEffect(() => {
    const close = () => setHover(null);
    window.addEventListener("scroll", close, true);
    return () => window.removeEventListener("scroll", close, true);
  }, []);
  const [pinnedRef, setPinned] = useState<TokenRef | null>(null);
  // A new step / run / record may be shorter or mask other positions: drop what it lacks.
  const hovered = validToken(hover?.ref ?? null, loaded.data?.byRun);
  const pinned = validToken(pinnedRef, loaded.data?.byRun);

  const onSelect = useCallback(
    (ref: TokenRef) => setPinned((p) => (p && p.run === ref.run && p.seq === ref.seq && p.pos === ref.pos ? null : ref)),
    [],
  );
  const hoveredRecord = hovered ? loaded.data?.byRun.get(hovered.run) : undefined;

  const histories = useHistories(tag, runsWithTag, null, live.reloadCount);
  // The pinned position in every selected run (each run's failure, e.g. a shorter sequence, on its own).
  const pinnedHistory = usePositionHistories(
    tag,
    pinned && pinned.pos > 0 ? runsWithTag : [],
    pinned && pinned.pos > 0 ? { seq: pinned.seq, pos: pinned.pos - 1 } : null,
    live.reloadCount,
  );
  const pinnedRecord = pinned ? loaded.data?.byRun.get(pinned.run) : undefined;
  const pinnedText = pinned && pinnedRecord ? visibleText(pinnedRecord, pinnedRecord.inputIds[pinned.seq * pinnedRecord.length + pinned.pos]) : "";

  const errors = [live.error, loaded.error, histories.error, pinnedHistory.error, ...(loaded.data?.errors ?? []), ...(pinnedHistory.data?.errors ?? [])];
  const [lo, hi] = SCALE_ENDS[metric];

  return (
    <div className="tbs-app">
      <div className="tbs-toolbar">
        <RunTagStepPickers selection={selection} />
        <Select label="Colour by" value={metric} options={METRICS} onChange={setMetric} testId="metric-picker" />
        <Field label="Scale">
          <span className="tbs-row">
            <span className="tbs-muted">{lo}</span>
            <span className="tbs-scale" style={{ background: SCALE }} />
            <span className="tbs-muted">{hi}</span>
          </span>
        </Field>
        {maxBatch > 1 && <SequencePicker count={maxBatch} selected={sequences} onChange={setPickedSeqs} />}
      </div>
      <ErrorBox message={errors} />
      <SelectionNotice
        selection={selection}
        loaded={live.tags !== null}
        what="token predictions"
        howToLog="tb_suite.log_token_predictions(writer, tag, logits, input_ids, step=...)"
      />
      {specs.map(({ run, step: runStep }) => {
        const record = loaded.data?.byRun.get(run);
        if (!record) return null;
        return (
          <div key={run} className="tbs-panel" data-testid="run-panel">
            <h3>
              <Swatch color={colors.get(run)} /> {run} @ step{" "}
              {runStep} · loss {formatValue(record.meta.loss ?? NaN)} · perplexity {formatValue(record.meta.perplexity ?? NaN)}
              {!record.text && <span className="tbs-muted"> · no tokenizer logged: ids shown</span>}
            </h3>
            <div style={{ display: "flex", flexDirection: "column", gap: 8 }}>
              {sequences
                .filter((s) => s < record.batch)
                .map((seq) => (
                  <TokenStrip
                    key={seq}
                    run={run}
                    record={record}
                    seq={seq}
                    metric={metric}
                    selectedPos={pinned && pinned.run === run && pinned.seq === seq ? pinned.pos : null}
                    onHover={onHover}
                    onSelect={onSelect}
                  />
                ))}
            </div>
          </div>
        );
      })}
      {hover && hovered && hoveredRecord && (
        <Popover anchor={hover.rect} testId="topk-popover">
          <TopKPanel record={hoveredRecord} token={hovered} />
        </Popover>
      )}
      {pinned && pinnedRecord && <TopKPanel record={pinnedRecord} token={pinned} testId="topk-pinned" />}
      {pinned && pinned.pos > 0 && (
        <TokenSparklines
          histories={pinnedHistory.data?.histories ?? null}
          colors={colors}
          title={`${tag} · sequence ${pinned.seq} · token ${pinned.pos} (${pinnedText} in ${pinned.run})`}
        />
      )}
      {!pinned && runsWithTag.length > 0 && <div className="tbs-muted">Click a token to follow its prediction across steps.</div>}
      {histories.data && <LossCharts histories={histories.data} colors={colors} tag={tag} />}
    </div>
  );
}
