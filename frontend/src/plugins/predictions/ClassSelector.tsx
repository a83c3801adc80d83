/** Which classes the curve charts show: the first few (default), all, or a hand-picked set. */
import { Field } from "../../lib/pickers";

export const DEFAULT_CLASS_COUNT = 10;

export type ClassChoice = { kind: "first" } | { kind: "all" } | { kind: "pick"; classes: number[] };

export function chosenClasses(choice: ClassChoice, numClasses: number): number[] {
  if (choice.kind === "pick") return choice.classes.filter((c) => c < numClasses);
  const n = choice.kind === "all" ? numClasses : Math.min(DEFAULT_CLASS_COUNT, numClasses);
  return Array.from({ length: n }, (_, i) => i);
}

export function ClassSelector(props: { classNames: readonly string[]; choice: ClassChoice; onChange: (c: ClassChoice) => void }) {
  const { classNames, choice, onChange } = props;
  const picked = chosenClasses(choice, classNames.length);
  return (
    <Field label="Classes (curves)">
      <div className="tbs-row" style={{ alignItems: "flex-start" }}>
        <button type="button" aria-pressed={choice.kind === "first"} onClick={() => onChange({ kind: "first" })}>
          first {Math.min(DEFAULT_CLASS_COUNT, classNames.length)}
        </button>
        <button type="button" aria-pressed={choice.kind === "all"} onClick={() => onChange({ kind: "all" })}>
          all {classNames.length}
        </button>
        <select
          multiple
          size={4}
          aria-label="pick classes"
          value={picked.map(String)}
          onChange={(e) => onChange({ kind: "pick", classes: Array.from(e.target.selectedOptions, (o) => Number(o.value)) })}
        >
          {classNames.map((name, i) => (
            <option key={i} value={i}>
              {name}
            </option>
          ))}
        </select>
      </div>
    </Field>
  );
}
