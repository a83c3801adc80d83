/** Run / tag / step derivations from `./tags` shared by tabs with run, tag and step pickers (pure). */
import type { TagsResponse } from "./api";

/** One run's record to show: the run and its own step for the selected step. */
export interface RecordSpec {
  run: string;
  step: number;
}

/** `value` while it is one of `options`, else `fallback` (a picked value that vanished falls back). */
export function pickOr<T>(options: readonly T[], value: T | null, fallback: T | undefined): T | undefined {
  return value !== null && options.includes(value) ? value : fallback;
}

export function runsOf(tags: TagsResponse<unknown> | null): string[] {
  return tags ? Object.keys(tags).sort() : [];
}

export function tagsOf(tags: TagsResponse<unknown> | null, runs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const tag of Object.keys(tags?.[run] ?? {})) names.add(tag);
  return [...names].sort();
}

/** The tag that most of `runs` have (the first by name on a tie): the default view compares runs. */
export function mostSharedTag(tags: TagsResponse<unknown> | null, runs: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const tag of tagsOf(tags, runs)) {
    const count = runs.filter((run) => tags?.[run]?.[tag]).length;
    if (count > bestCount) [best, bestCount] = [tag, count];
  }
  return best;
}

/** The union of the runs' steps for `tag`, ascending. */
export function stepsOf(tags: TagsResponse<unknown> | null, runs: readonly string[], tag: string): number[] {
  const steps = new Set<number>();
  for (const run of runs) for (const s of tags?.[run]?.[tag]?.steps ?? []) steps.add(s);
  return [...steps].sort((a, b) => a - b);
}

export function runStepsOf(tags: TagsResponse<unknown> | null, run: string, tag: string): number[] {
  return [...(tags?.[run]?.[tag]?.steps ?? [])].sort((a, b) => a - b);
}

/** The step a run shows for the selected step: its latest one not after it, else its first. */
export function stepFor(steps: readonly number[], selected: number): number {
  let best = steps[0];
  for (const s of steps) if (s <= selected) best = s;
  return best;
}

/** Each run's record for the selected step (`stepFor` over its own steps); runs without steps for `tag` are left out. */
export function recordSpecs(tags: TagsResponse<unknown> | null, runs: readonly string[], tag: string, step: number): RecordSpec[] {
  return runs.flatMap((run) => {
    const own = runStepsOf(tags, run, tag);
    return own.length ? [{ run, step: stepFor(own, step) }] : [];
  });
}
