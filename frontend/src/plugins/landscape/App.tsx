/** The tbs_landscape tab: lines, axis-parallel small multiples and 2D planes, step by step, runs side by side. */
import { useMemo, useState } from "react";
import { COLORMAPS, type ColormapName } from "../../lib/colormaps";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { ErrorBox, Field, RunTagStepPickers, Select, SelectionNotice } from "../../lib/pickers";
import type { RecordSpec } from "../../lib/tagSelection";
import { runColor } from "../../lib/theme";
import { useLiveTags } from "../../lib/useLiveTags";
import { useEach } from "../../lib/useRecords";
import { useRunTagStep } from "../../lib/useRunTagStep";
import { loadSlice, loadSteps } from "./data";
import type { Slice, SliceMeta, StepRow } from "./record";
import { PlaneView, type PlaneMode } from "./PlaneView";
import { MAX_LEVELS, MIN_LEVELS, parseLevels, sharedRange } from "./planeMath";

const DEFAULT_RUNS = 4;

const MODES: PlaneMode[] = ["contour", "heatmap"];

interface Loaded {
  run: string;
  step: number;
  slice: Slice;
}

function useSlices(tag: string, specs: readonly RecordSpec[], reload: number) {
  return useEach(tag, specs, reload, async ({ run, step }): Promise<Loaded> => ({
    run,
    step,
    slice: await loadSlice(run, tag, step, reload),
  }));
}

function useStepRows(tag: string, runs: readonly string[], reload: number) {
  return useEach(tag, runs, reload, async (run): Promise<[string, StepRow[]]> => [run, await loadSteps(run, tag, reload)]);
}

/** "run_a @ 10, run_b @ 10": the runs and steps a figure shows. */
function where(loaded: readonly Loaded[]): string {
  return loaded.map((l) => `${l.run} @ step ${l.step}`).join(", ");
}

function marker(x: number, lo: number, hi: number, label: string): LineSeries {
  return { label, color: "#9aa0a6", x: [x, x], y: [lo, hi], dash: [4, 4] };
}

function LineView({ loaded, colors, tag }: { loaded: Loaded[]; colors: Map<string, string>; tag: string }) {
  // Memoized: LineChart rebuilds its uPlot when the series array changes.
  const series = useMemo((): LineSeries[] => {
    const lo = Math.min(...loaded.map((l) => l.slice.meta.min));
    const hi = Math.max(...loaded.map((l) => l.slice.meta.max));
    return [
      ...loaded.map((l) => ({
        label: `${l.run} @ ${l.step}`,
        color: runColor(colors, l.run),
        x: l.slice.arrays.alpha,
        y: l.slice.arrays.loss,
      })),
      marker(0, lo, hi, "start (α=0)"),
      marker(1, lo, hi, "end (α=1)"),
    ];
  }, [loaded, colors]);
  return (
    <div className="tbs-panel" data-testid="line-view">
      <h3>Loss along start + α·(end − start)</h3>
      <LineChart series={series} xLabel="α" yLabel="loss" height={320} testId="line-chart" title={`${tag} · loss along the line · ${where(loaded)}`} />
    </div>
  );
}

function AxisView({ loaded, colors, tag }: { loaded: Loaded[]; colors: Map<string, string>; tag: string }) {
  const meta: SliceMeta = loaded[0].slice.meta;
  const names = meta.names ?? [];
  // One series list per direction, memoized: LineChart rebuilds its uPlot when the array changes.
  const seriesByName = useMemo(
    () =>
      (loaded[0].slice.meta.names ?? []).map((name, k): LineSeries[] =>
        loaded
          .filter((l) => (l.slice.meta.names ?? [])[k] === name)
          .map((l) => {
            const n = l.slice.arrays.offset.length;
            return {
              label: `${l.run} @ ${l.step}`,
              color: runColor(colors, l.run),
              x: l.slice.arrays.offset,
              y: Array.from(l.slice.arrays.loss).slice(k * n, (k + 1) * n),
            };
          }),
      ),
    [loaded, colors],
  );
  return (
    <div className="tbs-row" style={{ alignItems: "flex-start" }} data-testid="axis-view">
      {names.map((name, k) => {
        const series = seriesByName[k];
        const layer = meta.layers?.[k];
        const kind = meta.kinds?.[k];
        return (
          <div className="tbs-panel" key={name} style={{ width: 300 }} data-testid="axis-multiple">
            <h3 title={name}>
              {name}
              {layer !== undefined && <span className="tbs-muted"> · {layer || "(root)"}{kind ? ` (${kind})` : ""}</span>}
            </h3>
            <LineChart series={series} xLabel="offset" yLabel="loss" height={180} testId={`axis-chart-${k}`} title={`${tag} · ${name} · ${where(loaded)}`} />
          </div>
        );
      })}
    </div>
  );
}

export function LandscapeApp() {
  const live = useLiveTags<{ type?: string }>();
  const selection = useRunTagStep(live.tags, DEFAULT_RUNS);
  const { colors, tag, runsWithTag, specs } = selection;
  const slices = useSlices(tag, specs, live.reloadCount);
  const stepRows = useStepRows(tag, runsWithTag, live.reloadCount);

  const [mode, setMode] = useState<PlaneMode>("contour");
  const [colormap, setColormap] = useState<ColormapName>("viridis");
  const [levels, setLevels] = useState(12);
  // The levels box keeps what is typed; only a valid count reaches the chart (clamped when the box loses focus).
  const [levelsText, setLevelsText] = useState("12");
  const [sharedPick, setShared] = useState<boolean | null>(null);
  const [log, setLog] = useState(false);

  const loaded = useMemo(() => slices.data ?? [], [slices.data]);
  const type = loaded[0]?.slice.meta.type;
  const planes = loaded.filter((l) => l.slice.meta.type === "plane");
  // Planes side by side share one colour scale unless the user turns it off.
  const shared = sharedPick ?? planes.length > 1;
  const sharedDomain = useMemo(() => (shared && planes.length > 1 ? sharedRange(planes.map((l) => l.slice.arrays.loss)) : undefined), [shared, planes]);
  const progress = useMemo(
    (): LineSeries[] =>
      (stepRows.data ?? []).map(([run, rows]) => {
        const shown = rows.filter((r) => r.center_loss !== undefined);
        return { label: run, color: runColor(colors, run), x: shown.map((r) => r.step), y: shown.map((r) => r.center_loss!) };
      }),
    [stepRows.data, colors],
  );
  const errors = [live.error, slices.error, stepRows.error];

  return (
    <div className="tbs-app">
      <div className="tbs-toolbar">
        <RunTagStepPickers selection={selection} />
        {type === "plane" && (
          <>
            <Select label="View" value={mode} options={MODES} onChange={setMode} testId="plane-mode" />
            <Select label="Colormap" value={colormap} options={COLORMAPS} onChange={setColormap} testId="colormap" />
            <Field label="Levels">
              <input
                type="number"
                min={MIN_LEVELS}
                max={MAX_LEVELS}
                value={levelsText}
                data-testid="levels"
                style={{ width: 56 }}
                onChange={(e) => {
                  setLevelsText(e.target.value);
                  const n = parseLevels(e.target.value);
                  if (n !== null) setLevels(n);
                }}
                onBlur={() => setLevelsText(String(levels))}
              />
            </Field>
            <Field label="Scale">
              <span className="tbs-row">
                <label>
                  <input type="checkbox" checked={log} data-testid="log-scale" onChange={(e) => setLog(e.target.checked)} /> log
                </label>
                {planes.length > 1 && (
                  <label title="one colour scale for every plane shown, so colours compare across runs">
                    <input type="checkbox" checked={shared} data-testid="shared-scale" onChange={(e) => setShared(e.target.checked)} /> shared
                  </label>
                )}
              </span>
            </Field>
          </>
        )}
      </div>
      <ErrorBox message={errors} />
      <SelectionNotice
        selection={selection}
        loaded={live.tags !== null}
        what="loss landscapes"
        howToLog="tb_suite.log_slice(writer, tag, tb_suite.landscape.plane(model, loss_fn, batch), step=...)"
      />
      {loaded.length > 0 && type === "linear" && <LineView loaded={loaded} colors={colors} tag={tag} />}
      {loaded.length > 0 && type === "axis" && <AxisView loaded={loaded} colors={colors} tag={tag} />}
      {planes.length > 0 && (
        <div className="tbs-row" style={{ alignItems: "flex-start" }}>
          {planes.map((l) => (
            <PlaneView
              key={l.run}
              title={`${l.run} @ ${l.step}`}
              exportTitle={`${tag} · ${l.run} @ step ${l.step}`}
              color={runColor(colors, l.run)}
              xs={l.slice.arrays.x}
              ys={l.slice.arrays.y}
              losses={l.slice.arrays.loss}
              trajectory={l.slice.arrays.trajectory}
              trajectorySteps={l.slice.arrays.trajectory_steps}
              mode={mode}
              colormap={colormap}
              levels={levels}
              log={log}
              domain={sharedDomain}
            />
          ))}
        </div>
      )}
      {progress.some((s) => s.x.length > 1) && (
        <div className="tbs-panel" data-testid="progress">
          <h3>Loss at the model's point over training</h3>
          <LineChart series={progress} xLabel="step" yLabel="loss" height={160} testId="progress-chart" title={`${tag} · loss at the model's point over training`} />
        </div>
      )}
    </div>
  );
}
