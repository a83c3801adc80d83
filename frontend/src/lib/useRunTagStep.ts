/**
 * Run / tag / step selection shared by the tabs with a multi-run picker: which runs are shown (the
 * first `defaultRuns` until the user picks), the tag (the one most selected runs have until
 * picked) and the step (the latest, following new steps as they arrive, until an older one is picked).
 * Picks that vanish from `./tags` fall back to the defaults. `RunTagStepPickers` renders the pickers.
 */
import { useEffect, useMemo, useState } from "react";
import { setShownSelection } from "./ExportHtmlButton";
import type { TagsResponse } from "./api";
import { mostSharedTag, pickOr, recordSpecs, runsOf, stepsOf, tagsOf, type RecordSpec } from "./tagSelection";
import { useRunColors } from "./runColors";

export interface RunTagStep {
  /** Every run, sorted. */
  runs: string[];
  /** A colour per run, TensorBoard's (`useRunColors`). */
  colors: Map<string, string>;
  selectedRuns: string[];
  setSelectedRuns: (runs: string[]) => void;
  /** The tags of the selected runs. */
  tagNames: string[];
  /** The selected tag; "" when there is none. */
  tag: string;
  setTag: (tag: string) => void;
  /** The union of the selected runs' steps for `tag`, ascending. */
  steps: number[];
  /** The selected step; 0 when there is none. */
  step: number;
  /** Picking the latest step follows new steps again. */
  setStep: (step: number) => void;
  /** The selected runs that have `tag`. */
  runsWithTag: string[];
  /** Each of `runsWithTag` at its own step for `step` (stable while those do not change). */
  specs: RecordSpec[];
}

export function useRunTagStep(tags: TagsResponse<unknown> | null, defaultRuns: number): RunTagStep {
  const runs = useMemo(() => runsOf(tags), [tags]);
  const colors = useRunColors(runs);
  const [pickedRuns, setPickedRuns] = useState<string[] | null>(null);
  const selectedRuns = pickedRuns ? runs.filter((r) => pickedRuns.includes(r)) : runs.slice(0, defaultRuns);
  const tagNames = tagsOf(tags, selectedRuns);
  const [pickedTag, setTag] = useState<string | null>(null);
  const tag = pickOr(tagNames, pickedTag, mostSharedTag(tags, selectedRuns)) ?? "";
  const steps = stepsOf(tags, selectedRuns, tag);
  // null follows the latest step as new ones arrive.
  const [pickedStep, setPickedStep] = useState<number | null>(null);
  const step = pickOr(steps, pickedStep, steps.at(-1)) ?? 0;
  // The same array while the same runs have the tag (the filter makes a fresh one each render).
  const runsKey = selectedRuns.filter((r) => tags?.[r]?.[tag]).join("\0");
  const runsWithTag = useMemo(() => (runsKey ? runsKey.split("\0") : []), [runsKey]);
  const specs = useMemo(() => recordSpecs(tags, runsWithTag, tag, step), [tags, runsWithTag, tag, step]);
  // "Export HTML" exports what is shown.
  useEffect(() => setShownSelection({ runs: runsWithTag, tag }), [runsWithTag, tag]);
  return {
    runs,
    colors,
    selectedRuns,
    setSelectedRuns: setPickedRuns,
    tagNames,
    tag,
    setTag,
    steps,
    step,
    setStep: (s) => setPickedStep(s === steps.at(-1) ? null : s),
    runsWithTag,
    specs,
  };
}
