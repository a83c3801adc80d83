/** Run, tag and step pickers shared by all plugin tabs. */
import { useState, type CSSProperties, type ReactNode } from "react";
import type { RunTagStep } from "./useRunTagStep";

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="tbs-field">
      <span className="tbs-label">{label}</span>
      {children}
    </div>
  );
}

/** A run's colour as a small square. */
export function Swatch({ color, style }: { color: string | undefined; style?: CSSProperties }) {
  return <span className="tbs-swatch" style={{ background: color, ...style }} />;
}

/**
 * The runs matching `filter`, a case-insensitive regular expression like TensorBoard's run filter;
 * text that is not a valid expression matches as plain text. `valid` says which it was.
 */
export function filterRuns(runs: readonly string[], filter: string): { runs: string[]; valid: boolean } {
  if (!filter) return { runs: [...runs], valid: true };
  try {
    const re = new RegExp(filter, "i");
    return { runs: runs.filter((r) => re.test(r)), valid: true };
  } catch {
    const needle = filter.toLowerCase();
    return { runs: runs.filter((r) => r.toLowerCase().includes(needle)), valid: false };
  }
}

/** Multi-run picker: a regex filter, all / none over the runs it shows, a checkbox per run with its colour. */
export function RunPicker(props: {
  runs: readonly string[];
  selected: readonly string[];
  colors: Map<string, string>;
  onChange: (selected: string[]) => void;
}) {
  const { runs, selected, colors, onChange } = props;
  const [filter, setFilter] = useState("");
  const shown = filterRuns(runs, filter);
  const toggle = (run: string) =>
    onChange(selected.includes(run) ? selected.filter((r) => r !== run) : runs.filter((r) => r === run || selected.includes(r)));
  const setShown = (on: boolean) =>
    onChange(runs.filter((r) => (shown.runs.includes(r) ? on : selected.includes(r))));
  return (
    <Field label={`Runs (${selected.length}/${runs.length})`}>
      <div className="tbs-run-tools">
        <input
          type="search"
          placeholder="filter runs (regex)"
          value={filter}
          data-testid="run-filter"
          aria-invalid={!shown.valid}
          title={shown.valid ? "case-insensitive regular expression" : "not a valid regular expression: matched as text"}
          onChange={(e) => setFilter(e.target.value)}
        />
        <button type="button" data-testid="runs-all" onClick={() => setShown(true)} title="select every run shown">
          all
        </button>
        <button type="button" data-testid="runs-none" onClick={() => setShown(false)} title="deselect every run shown">
          none
        </button>
      </div>
      <div className="tbs-runs" data-testid="run-picker">
        {runs.length === 0 && <span className="tbs-muted">no runs</span>}
        {runs.length > 0 && shown.runs.length === 0 && <span className="tbs-muted">no run matches the filter</span>}
        {shown.runs.map((run) => (
          <label key={run} title={run}>
            <input type="checkbox" checked={selected.includes(run)} onChange={() => toggle(run)} />
            <Swatch color={colors.get(run)} />
            <span>{run}</span>
          </label>
        ))}
      </div>
    </Field>
  );
}

/**
 * What a tab shows instead of a blank page when its selection has nothing to draw: no data logged yet
 * (and what to log), no run selected, or no selected run with the tag. Nothing when there is data.
 */
export function SelectionNotice(props: { selection: RunTagStep; loaded: boolean; what: string; howToLog: string }) {
  const s = props.selection;
  let text: string | null = null;
  if (!props.loaded) text = null;
  else if (s.runs.length === 0) text = `No ${props.what} logged yet. Log some with ${props.howToLog}.`;
  else if (s.selectedRuns.length === 0) text = "No run selected: tick a run in the Runs list (or “all”).";
  else if (s.runsWithTag.length === 0) text = `None of the selected runs has ${props.what}. Log some with ${props.howToLog}.`;
  return text ? (
    <div className="tbs-empty" data-testid="empty-state">
      {text}
    </div>
  ) : null;
}

export function Select<T extends string>(props: {
  label: string;
  value: T;
  options: readonly T[] | readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  testId?: string;
}) {
  const options = props.options.map((o) => (typeof o === "string" ? { value: o, label: o } : o));
  return (
    <Field label={props.label}>
      <select data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e.target.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A select over numbers (steps, indices); `indices(n)` gives 0..n-1. */
export function NumberSelect(props: {
  label: string;
  value: number;
  options: readonly number[];
  onChange: (value: number) => void;
  testId?: string;
}) {
  return (
    <Select
      label={props.label}
      value={String(props.value)}
      options={props.options.map(String)}
      onChange={(v) => props.onChange(Number(v))}
      testId={props.testId}
    />
  );
}

export function indices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Tag picker: a select over tag names. */
export function TagPicker(props: { tags: readonly string[]; value: string; onChange: (tag: string) => void }) {
  return <Select label="Tag" value={props.value} options={props.tags} onChange={props.onChange} testId="tag-picker" />;
}

/**
 * Slider over every logged step (not a range: steps are irregular). Arrow keys move one step,
 * Home/End jump to the ends (the native range input handles these keys).
 */
export function StepSlider(props: {
  steps: readonly number[];
  value: number;
  onChange: (step: number) => void;
  label?: string;
  testId?: string;
}) {
  const { steps, value, onChange } = props;
  const index = Math.max(0, steps.indexOf(value));
  if (steps.length === 0) {
    return (
      <Field label={props.label ?? "Step"}>
        <span className="tbs-muted" data-testid={props.testId ?? "step-slider"} aria-valuetext="">
          no steps logged
        </span>
      </Field>
    );
  }
  return (
    <Field label={props.label ?? "Step"}>
      <div className="tbs-slider">
        <input
          type="range"
          min={0}
          max={Math.max(0, steps.length - 1)}
          step={1}
          value={index}
          disabled={steps.length < 2}
          data-testid={props.testId ?? "step-slider"}
          aria-valuetext={String(value)}
          onChange={(e) => onChange(steps[Number(e.target.value)])}
        />
        <span>
          {value} <span className="tbs-muted">({index + 1}/{steps.length})</span>
        </span>
      </div>
    </Field>
  );
}

/** The runs, tag and step pickers of a `useRunTagStep` selection (tag and step once there are any). */
export function RunTagStepPickers({ selection: s }: { selection: RunTagStep }) {
  return (
    <>
      <RunPicker runs={s.runs} selected={s.selectedRuns} colors={s.colors} onChange={s.setSelectedRuns} />
      {s.tagNames.length > 0 && <TagPicker tags={s.tagNames} value={s.tag} onChange={s.setTag} />}
      {s.steps.length > 0 && <StepSlider steps={s.steps} value={s.step} onChange={s.setStep} />}
    </>
  );
}

/** The error message, or the non-empty ones of a list one per line; nothing when there is none. */
export function ErrorBox({ message }: { message: string | null | readonly (string | null | undefined)[] }) {
  const text = typeof message === "string" || message === null ? message : message.filter(Boolean).join("\n");
  return text ? (
    <div className="tbs-error" role="alert">
      {text}
    </div>
  ) : null;
}
