/**
 * One colour per run, the same in every tb-suite tab and the same as TensorBoard's own. TensorBoard
 * (2.21, webapp runs reducer) colours runs by "group by run" by default: the n-th run of its run list
 * (`GET /data/runs`, ordered by first-event time, then name) gets colour id n, and the colour is
 * `palette[n % 7]` of its default palette, whose first entry ("Slate") has a lighter dark-theme
 * variant. The tabs read that same list (`../../runs` from the plugin's base URL). A run the list does
 * not hold yet follows the listed ones in name order; without the list at all, runs take the palette
 * in name order. Colours a user picks by hand in TensorBoard's runs table are not visible to plugins.
 */
import { useEffect, useMemo, useState } from "react";
import { getJson } from "./api";
import { useDarkMode } from "./useDarkMode";

/** TensorBoard's default run palette: [light theme, dark theme]. */
export const TENSORBOARD_PALETTE: readonly (readonly [string, string])[] = [
  ["#425066", "#8e98a3"],
  ["#12b5cb", "#12b5cb"],
  ["#e52592", "#e52592"],
  ["#f9ab00", "#f9ab00"],
  ["#9334e6", "#9334e6"],
  ["#7cb342", "#7cb342"],
  ["#e8710a", "#e8710a"],
];

/** The colour of TensorBoard's colour id `index`. */
export function paletteColor(index: number, dark = false): string {
  const entry = TENSORBOARD_PALETTE[((index % TENSORBOARD_PALETTE.length) + TENSORBOARD_PALETTE.length) % TENSORBOARD_PALETTE.length];
  return entry[dark ? 1 : 0];
}

/**
 * Each of `runs` coloured by its position in `order` (TensorBoard's run list); runs missing from it
 * come after, in name order.
 */
export function colorsFromOrder(runs: readonly string[], order: readonly string[] | null, dark = false): Map<string, string> {
  const position = new Map<string, number>();
  for (const run of order ?? []) if (!position.has(run)) position.set(run, position.size);
  for (const run of [...runs].sort()) if (!position.has(run)) position.set(run, position.size);
  return new Map(runs.map((run) => [run, paletteColor(position.get(run)!, dark)]));
}

/** TensorBoard's run list (`GET /data/runs`, relative to the plugin's base URL). */
export async function fetchRunOrder(): Promise<string[]> {
  const runs = await getJson<unknown>("../../runs");
  return Array.isArray(runs) ? runs.map(String) : [];
}

let known: string[] | null = null;
let pending: Promise<string[] | null> | null = null;

/** The run list, fetched once and again whenever a run turns up that it lacks; null when unavailable. */
function runOrder(runs: readonly string[]): Promise<string[] | null> {
  const missing = !known || runs.some((r) => !known!.includes(r));
  if (!missing) return Promise.resolve(known);
  pending ??= fetchRunOrder()
    .then((order) => (known = order))
    .catch(() => known)
    .finally(() => (pending = null));
  return pending;
}

/**
 * TensorBoard's run list as far as this page knows it (null before the first fetch); asks for it when
 * `runs` holds a run it lacks. For synchronous callers (`theme.runColors`); hooks use `useRunColors`.
 */
export function knownRunOrder(runs: readonly string[] = []): string[] | null {
  void runOrder(runs);
  return known;
}

/** `runs` coloured as TensorBoard colours them (see the module comment), following the theme. */
export function useRunColors(runs: readonly string[]): Map<string, string> {
  const dark = useDarkMode();
  const [order, setOrder] = useState<string[] | null>(known);
  const key = runs.join("\0");
  useEffect(() => {
    let live = true;
    if (runs.length) void runOrder(runs).then((o) => live && o && setOrder(o));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for runs (callers pass fresh arrays)
  }, [key]);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- key stands for runs
  return useMemo(() => colorsFromOrder(runs, order, dark), [key, order, dark]);
}
