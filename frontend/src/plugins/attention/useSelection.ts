/** What the attention tab shows: run, tags, step (with play), example, view, layer, head, zoom, diff,
 * colours and the runs to compare with. */
import { useEffect, useMemo, useState } from "react";
import type { ColormapName } from "../../lib/colormaps";
import { pickOr, runsOf } from "../../lib/tagSelection";
import { useLiveTags } from "../../lib/useLiveTags";
import type { Region, TagMeta, View } from "./record";

const PLAY_MS = 700;

// A stable empty array: a fresh `[]` each render would re-run the effects and memos that depend on it.
const NO_STEPS: number[] = [];

export function useAttentionSelection() {
  const live = useLiveTags<TagMeta>();
  const runs = useMemo(() => runsOf(live.tags), [live.tags]);
  const [pickedRun, setRun] = useState<string | null>(null);
  const run = pickOr(runs, pickedRun, runs[0]) ?? "";
  const runTags = live.tags?.[run] ?? {};
  const tagsOfKind = (kind: string) => Object.keys(runTags).filter((t) => runTags[t].meta.kind === kind).sort();
  const attentionTags = tagsOfKind("attention");
  const statsTags = tagsOfKind("head_stats");
  const [pickedTag, setTag] = useState<string | null>(null);
  const tag = pickOr(attentionTags, pickedTag, attentionTags[0]) ?? "";
  const [pickedStatsTag, setStatsTag] = useState<string | null>(null);
  const statsTag = pickOr(statsTags, pickedStatsTag, statsTags[0]) ?? "";
  const steps = runTags[tag]?.steps ?? NO_STEPS;
  const [pickedStep, setStep] = useState<number | null>(null);
  const step = pickOr(steps, pickedStep, steps.at(-1)) ?? 0;
  const previous: number | undefined = steps[steps.indexOf(step) - 1];

  const [example, setExample] = useState(0);
  const [view, setView] = useState<View>("head");
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState(0);
  const [diff, setDiff] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [zoom, setZoom] = useState<Region | null>(null);
  const [colormap, setColormap] = useState<ColormapName>("viridis");
  const [pickedCompare, setCompare] = useState<string[]>([]);

  useEffect(() => {
    if (!playing || live.hidden || steps.length < 2) return;
    const timer = setInterval(() => {
      setStep((current) => {
        const i = steps.indexOf(current ?? steps.at(-1)!);
        return steps[(i + 1) % steps.length];
      });
    }, PLAY_MS);
    return () => clearInterval(timer);
  }, [playing, live.hidden, steps]);

  // Other runs with this tag: the same map side by side.
  const compareCandidates = runs.filter((r) => r !== run && live.tags?.[r]?.[tag]);
  const compareRuns = pickedCompare.filter((r) => compareCandidates.includes(r));

  return {
    live,
    runs,
    run,
    setRun,
    runTags,
    attentionTags,
    statsTags,
    tag,
    setTag,
    statsTag,
    setStatsTag,
    steps,
    step,
    setStep,
    previous,
    example,
    setExample,
    view,
    setView,
    layer,
    setLayer,
    head,
    setHead,
    diff,
    setDiff,
    playing,
    setPlaying,
    zoom,
    setZoom,
    colormap,
    setColormap,
    compareCandidates,
    compareRuns,
    setCompare,
  };
}

export type AttentionSelection = ReturnType<typeof useAttentionSelection>;
