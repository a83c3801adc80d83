/** Run, tag and step pickers shared by all plugin tabs. */
import type { ReactNode } from "react";

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="tbs-field">
      <span className="tbs-label">{label}</span>
      {children}
    </div>
  );
}

export function RunPicker(props: {
  runs: readonly string[];
  selected: readonly string[];
  colors: Map<string, string>;
  onChange: (selected: string[]) => void;
}) {
  const { runs, selected, colors, onChange } = props;
  const toggle = (run: string) =>
    onChange(selected.includes(run) ? selected.filter((r) => r !== run) : runs.filter((r) => r === run || selected.includes(r)));
  return (
    <Field label={`Runs (${selected.length}/${runs.length})`}>
      <div className="tbs-runs" data-testid="run-picker">
        {runs.length === 0 && <span className="tbs-muted">no runs</span>}
        {runs.map((run) => (
          <label key={run} title={run}>
            <input type="checkbox" checked={selected.includes(run)} onChange={() => toggle(run)} />
            <span className="tbs-swatch" style={{ background: colors.get(run) }} />
            <span>{run}</span>
          </label>
        ))}
      </div>
    </Field>
  );
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

export function ErrorBox({ message }: { message: string | null }) {
  return message ? (
    <div className="tbs-error" role="alert">
      {message}
    </div>
  ) : null;
}
