/** The tbs_predictions tab. */
import { useDeferredValue, useMemo, useState } from "react";
import { COLORMAPS, type ColormapName } from "../../lib/colormaps";
import { safeFilename } from "../../lib/exportPng";
import { formatMetric, formatPercent } from "../../lib/format";
import { ErrorBox, RunTagStepPickers, Select, SelectionNotice } from "../../lib/pickers";
import { pickOr, runStepsOf, stepFor } from "../../lib/tagSelection";
import { useLiveTags } from "../../lib/useLiveTags";
import { useRunTagStep } from "../../lib/useRunTagStep";
import { ClassSelector, chosenClasses, type ClassChoice } from "./ClassSelector";
import { ClassTable } from "./ClassTable";
import type { NormMode } from "./confusion";
import { ConfusionPanel } from "./ConfusionPanel";
import { CurvesPanel } from "./CurvesPanel";
import { useExamples, useRecords } from "./data";
import { DiffControls, type RecordRef } from "./DiffControls";
import { ExamplesPanel } from "./ExamplesPanel";
import type { PredMeta, PredRecord } from "./record";

const DEFAULT_RUNS = 5;
const MODES: { value: NormMode; label: string }[] = [
  { value: "raw", label: "counts" },
  { value: "row", label: "by row (recall)" },
  { value: "col", label: "by column (precision)" },
];

function Summary(props: { record: PredRecord; run: string; step: number; baseline?: { record: PredRecord; run: string; step: number } }) {
  const { record, run, step, baseline } = props;
  const m = record.meta;
  const parts = [
    `${run} @ step ${step}`,
    ...(baseline ? [`minus ${baseline.run} @ step ${baseline.step} (accuracy ${formatPercent(baseline.record.meta.accuracy)})`] : []),
    `accuracy ${formatPercent(m.accuracy)}`,
    `${m.num_samples} samples`,
    `${record.numClasses} classes`,
  ];
  if (m.kind === "scores") {
    parts.push(`micro AUC ${formatMetric(m.micro_auc ?? NaN)}`, `macro AUC ${formatMetric(m.macro_auc ?? NaN)}`);
    parts.push(`micro AP ${formatMetric(m.micro_ap ?? NaN)}`, `macro AP ${formatMetric(m.macro_ap ?? NaN)}`);
  }
  return <div data-testid="summary">{parts.join(" · ")}</div>;
}

export function PredictionsApp() {
  const live = useLiveTags<PredMeta>();
  const selection = useRunTagStep(live.tags, DEFAULT_RUNS);
  const { tag, step, runsWithTag, specs } = selection;

  const [pickedMatrixRun, setMatrixRun] = useState<string | null>(null);
  const matrixRun = pickOr(runsWithTag, pickedMatrixRun, runsWithTag[0]) ?? "";
  const loaded = useRecords(tag, specs, live.reloadCount);

  const [mode, setMode] = useState<NormMode>("raw");
  const [colormap, setColormap] = useState<ColormapName>("viridis");
  const [cell, setCell] = useState<{ row: number; col: number } | null>(null);
  const [classChoice, setClassChoice] = useState<ClassChoice>({ kind: "first" });

  const [diffOn, setDiffOn] = useState(false);
  const [diffRefs, setDiffRefs] = useState<{ a: RecordRef; b: RecordRef } | null>(null);
  const runSteps = (run: string) => runStepsOf(live.tags, run, tag);
  const defaultDiff = (): { a: RecordRef; b: RecordRef } => {
    const own = runSteps(matrixRun);
    const a = { run: matrixRun, step: stepFor(own, step) };
    const prev = own.filter((s) => s < a.step).at(-1);
    const other = runsWithTag.find((r) => r !== matrixRun);
    const b = prev !== undefined ? { run: matrixRun, step: prev } : other ? { run: other, step: stepFor(runSteps(other), step) } : a;
    return { a, b };
  };
  const diff = diffOn ? (diffRefs ?? defaultDiff()) : null;
  const diffA = useRecords(tag, diff ? [diff.a] : [], live.reloadCount);
  const diffB = useRecords(tag, diff ? [diff.b] : [], live.reloadCount);

  const matrixSpec = diff ? diff.a : specs.find((s) => s.run === matrixRun);
  const matrixRecord = diff ? diffA.data?.byRun.get(diff.a.run) : loaded.data?.byRun.get(matrixRun);
  const baseline = diff ? (diffB.data?.byRun.get(diff.b.run) ?? null) : null;
  const arrivedAt = (diff ? diffA.data?.arrivedAt : loaded.data?.arrivedAt) ?? 0;
  const examples = useExamples(matrixSpec?.run ?? "", tag, matrixSpec?.step ?? 0, matrixRecord ? cell : null);
  // Curves and the table render after the heatmap is on screen (they cost more than the matrix draw).
  const laterRecord = useDeferredValue(matrixRecord);
  const laterRecords = useDeferredValue(loaded.data?.byRun);
  const classes = useMemo(
    () => chosenClasses(classChoice, laterRecord?.numClasses ?? 0),
    [classChoice, laterRecord?.numClasses],
  );
  const curveRuns = useMemo(
    () => runsWithTag.filter((r) => laterRecords?.get(r)?.meta.kind === "scores"),
    [runsWithTag, laterRecords],
  );

  const specSteps = useMemo(() => new Map(specs.map((s) => [s.run, s.step])), [specs]);
  const errors = [live.error, loaded.error, diffA.error, diffB.error, ...(loaded.data?.errors ?? [])];

  return (
    <div className="tbs-app">
      <div className="tbs-toolbar">
        <RunTagStepPickers selection={selection} />
        {runsWithTag.length > 1 && !diff && (
          <Select label="Matrix run" value={matrixRun} options={runsWithTag} onChange={setMatrixRun} />
        )}
        <Select label="Normalize" value={mode} options={MODES} onChange={setMode} testId="norm-mode" />
        {!diff && <Select label="Colormap" value={colormap} options={COLORMAPS.filter((c) => c !== "diverging")} onChange={setColormap} />}
        <div className="tbs-field">
          <span className="tbs-label">Diff</span>
          <button
            type="button"
            data-testid="diff-toggle"
            aria-pressed={diffOn}
            onClick={() => {
              setDiffOn(!diffOn);
              setDiffRefs(null);
            }}
          >
            A − B
          </button>
        </div>
        {diff && <DiffControls a={diff.a} b={diff.b} runs={runsWithTag} stepsOf={runSteps} onChange={(a, b) => setDiffRefs({ a, b })} />}
      </div>
      <ErrorBox message={errors} />
      <SelectionNotice
        selection={selection}
        loaded={live.tags !== null}
        what="predictions"
        howToLog="tb_suite.log_predictions(writer, tag, probs, targets, step=...) or tb_suite.log_confusion_matrix(writer, tag, predicted, targets, step=...)"
      />
      {!matrixRecord && matrixSpec && (diff ? diffA.loading : loaded.loading) && (
        // The summary line stays in place (as "loading…") while a new run / tag / step loads.
        <div data-testid="summary" className="tbs-muted">
          loading…
        </div>
      )}
      {matrixRecord && matrixSpec && (
        <>
          <Summary
            record={matrixRecord}
            run={matrixSpec.run}
            step={matrixSpec.step}
            baseline={diff && baseline ? { record: baseline, ...diff.b } : undefined}
          />
          <div className="tbs-row" style={{ alignItems: "flex-start" }}>
            <ConfusionPanel
              record={matrixRecord}
              baseline={baseline}
              mode={mode}
              colormap={colormap}
              selected={cell}
              onCellClick={(row, col) => setCell({ row, col })}
              arrivedAt={arrivedAt}
              filename={safeFilename(tag, matrixSpec.run, String(matrixSpec.step), diff ? "diff" : "confusion")}
              title={
                diff && baseline
                  ? `${tag} · confusion (${mode}) · ${diff.a.run} @ step ${diff.a.step} minus ${diff.b.run} @ step ${diff.b.step}`
                  : `${tag} · confusion (${mode}) · ${matrixSpec.run} @ step ${matrixSpec.step}`
              }
            />
            {cell && cell.row < matrixRecord.numClasses && cell.col < matrixRecord.numClasses && (
              <ExamplesPanel
                trueName={matrixRecord.classNames[cell.row]}
                predName={matrixRecord.classNames[cell.col]}
                count={matrixRecord.confusion[cell.row * matrixRecord.numClasses + cell.col]}
                examples={examples.data}
                loading={examples.loading}
                error={examples.error}
                onClose={() => setCell(null)}
              />
            )}
          </div>
          {laterRecord?.meta.kind === "scores" && laterRecords && (
            <>
              <ClassSelector classNames={laterRecord.classNames} choice={classChoice} onChange={setClassChoice} />
              <CurvesPanel runs={curveRuns} records={laterRecords} classes={classes} tag={tag} steps={specSteps} />
            </>
          )}
          {laterRecord && (
            <div className="tbs-panel">
              <h3>Per class</h3>
              <ClassTable record={laterRecord} />
            </div>
          )}
        </>
      )}
    </div>
  );
}
