/** Picks the two (run, step) records whose confusion matrices diff mode subtracts: A − B. */
import { Field, NumberSelect, Select } from "../../lib/pickers";
import type { RecordSpec } from "../../lib/tagSelection";

/** One (run, step) record. */
export type RecordRef = RecordSpec;

function RefPicker(props: { label: string; value: RecordRef; runs: readonly string[]; stepsOf: (run: string) => number[]; onChange: (r: RecordRef) => void }) {
  const steps = props.stepsOf(props.value.run);
  return (
    <Field label={props.label}>
      <div className="tbs-row">
        <Select
          label="run"
          value={props.value.run}
          options={props.runs}
          onChange={(run) => props.onChange({ run, step: props.stepsOf(run).at(-1) ?? 0 })}
        />
        <NumberSelect
          label="step"
          value={props.value.step}
          options={steps}
          onChange={(step) => props.onChange({ run: props.value.run, step })}
        />
      </div>
    </Field>
  );
}

export function DiffControls(props: {
  a: RecordRef;
  b: RecordRef;
  runs: readonly string[];
  stepsOf: (run: string) => number[];
  onChange: (a: RecordRef, b: RecordRef) => void;
}) {
  return (
    <div className="tbs-row">
      <RefPicker label="A" value={props.a} runs={props.runs} stepsOf={props.stepsOf} onChange={(a) => props.onChange(a, props.b)} />
      <span className="tbs-muted">minus</span>
      <RefPicker label="B" value={props.b} runs={props.runs} stepsOf={props.stepsOf} onChange={(b) => props.onChange(props.a, b)} />
    </div>
  );
}
