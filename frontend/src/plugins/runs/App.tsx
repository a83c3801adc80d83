/** The tbs_runs tab: a table of every run (config columns, metric summaries; sort, filter, group), and the
 * selected runs' curves, dashboards and comparison at common steps. */
import { useEffect, useMemo, useRef, useState } from "react";
import { routeUrl } from "../../lib/api";
import { safeFilename } from "../../lib/exportPng";
import { formatNumber } from "../../lib/format";
import { LineChart, type LineSeries } from "../../lib/LineChart";
import { ErrorBox, Field, Select, Swatch } from "../../lib/pickers";
import { useRunColors } from "../../lib/runColors";
import { useFetch } from "../../lib/useFetch";
import { useLiveTags } from "../../lib/useLiveTags";
import { colorScale, debiasedEma, groupBand, log10Values, xValues, type XAxis } from "./curveMath";
import { BoxPlot } from "./BoxPlot";
import { loadCompare, loadCurves, loadEpochs, loadRuns, type ConfigValue, type Curve, type Row, type RunsAnswer } from "./data";
import { brushedRows, ParallelCoords, useAxes, type Brushes } from "./ParallelCoords";

type Stat = "final" | "best" | "best_step" | "last_mean";
const STATS: { value: Stat; label: string }[] = [
  { value: "final", label: "final" },
  { value: "best", label: "best" },
  { value: "best_step", label: "step of best" },
  { value: "last_mean", label: "mean of last N" },
];
const DEFAULT_SELECTED = 8;

/** The tag most runs have; on ties loss-like names, then the one with the most points. */
function defaultTag(answer: RunsAnswer | null): string {
  if (!answer) return "";
  const score = (t: string) => {
    const rows = answer.runs.filter((r) => r.metrics[t]);
    const points = rows.reduce((n, r) => n + r.metrics[t].count, 0);
    return [rows.length, /loss/i.test(t) ? 1 : 0, points];
  };
  const better = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  return [...answer.tags].sort((a, b) => better(score(b), score(a)))[0] ?? "";
}

function text(v: ConfigValue | undefined): string {
  if (v === undefined || v === null) return "–";
  return typeof v === "number" ? formatNumber(v, 4) : String(v);
}

/** Bumps whenever `value` changes identity (useLiveTags keeps the object while nothing changed). */
function useVersion(value: unknown): number {
  const [version, setVersion] = useState(0);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else setVersion((v) => v + 1);
  }, [value]);
  return version;
}

function compareValues(a: unknown, b: unknown): number {
  const missingA = a === undefined || a === null;
  const missingB = b === undefined || b === null;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

function RunsTable(props: {
  answer: RunsAnswer;
  stat: Stat;
  selected: string[];
  setSelected: (runs: string[]) => void;
  colors: (run: string) => string;
  /** Flips which end of `tag` is best (min <-> max). */
  flipDirection: (tag: string, current: "min" | "max") => void;
}) {
  const { answer, stat, selected, setSelected, colors, flipDirection } = props;
  const [sort, setSort] = useState<{ column: string; desc: boolean }>({ column: "run", desc: false });
  const rows = useMemo(() => {
    const value = (row: Row, column: string): unknown => {
      if (column === "run") return row.run;
      if (column.startsWith("config:")) return row.config[column.slice(7)];
      return row.metrics[column.slice(7)]?.[stat];
    };
    const sorted = [...answer.runs].sort((a, b) => compareValues(value(a, sort.column), value(b, sort.column)));
    if (sort.desc) sorted.reverse();
    return sorted;
  }, [answer, sort, stat]);
  const header = (column: string, label: string) => (
    <th
      key={column}
      data-testid={`sort-${column}`}
      onClick={() => setSort((s) => ({ column, desc: s.column === column ? !s.desc : false }))}
      title={label}
    >
      {label}
      {sort.column === column ? (sort.desc ? " ▼" : " ▲") : ""}
    </th>
  );
  const toggle = (run: string) =>
    setSelected(selected.includes(run) ? selected.filter((r) => r !== run) : [...selected, run]);
  return (
    <div className="tbs-scroll">
      <table className="tbs-table" data-testid="runs-table">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="select all"
                checked={rows.length > 0 && rows.every((r) => selected.includes(r.run))}
                onChange={(e) => setSelected(e.target.checked ? rows.map((r) => r.run) : [])}
              />
            </th>
            {header("run", "run")}
            {answer.config_keys.map((k) => header(`config:${k}`, k))}
            {answer.tags.map((t) => {
              const direction = answer.runs.find((r) => r.metrics[t])?.metrics[t].direction ?? "min";
              return (
                <th key={t} data-testid={`sort-metric:${t}`} title={t}
                  onClick={() => setSort((s) => ({ column: `metric:${t}`, desc: s.column === `metric:${t}` ? !s.desc : false }))}>
                  {t} ({stat.replace("_", " ")})
                  {sort.column === `metric:${t}` ? (sort.desc ? " ▼" : " ▲") : ""}{" "}
                  <button type="button" data-testid={`direction-${t}`} title="which end is best: click to flip"
                    onClick={(e) => (e.stopPropagation(), flipDirection(t, direction))}>
                    best: {direction}
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.run} data-testid="run-row" data-run={row.run}>
              <td>
                <input type="checkbox" checked={selected.includes(row.run)} onChange={() => toggle(row.run)} />
              </td>
              <td style={{ textAlign: "left" }}>
                <Swatch color={colors(row.run)} /> {row.run}
              </td>
              {answer.config_keys.map((k) => (
                <td key={k}>{text(row.config[k])}</td>
              ))}
              {answer.tags.map((t) => {
                const summary = row.metrics[t];
                return (
                  <td key={t} title={summary && !summary.pending ? `${summary.direction} over ${summary.count} points` : ""}>
                    {summary?.pending ? "…" : summary ? text(summary[stat]) : "–"}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GroupTable({ answer, keys }: { answer: RunsAnswer; keys: string[] }) {
  const groups = answer.groups ?? [];
  return (
    <div className="tbs-scroll">
      <table className="tbs-table" data-testid="group-table">
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k}>{k}</th>
            ))}
            <th>runs</th>
            {answer.tags.map((t) => (
              <th key={t}>{t} final (mean ± std)</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map((g, i) => (
            <tr key={i} data-testid="group-row">
              {keys.map((k) => (
                <td key={k} style={{ textAlign: "left" }}>
                  {text(g.values[k])}
                </td>
              ))}
              <td title={g.runs.join("\n")}>{g.runs.length}</td>
              {answer.tags.map((t) => {
                const s = g.metrics[t]?.final;
                return (
                  <td key={t} data-testid={`group-${t}`}>
                    {s && s.mean !== null ? `${formatNumber(s.mean, 4)} ± ${s.std === null ? "–" : formatNumber(s.std, 4)}` : "–"}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Band = "none" | "minmax" | "std";

interface CurveOptions {
  smoothing: number;
  xAxis: XAxis;
  logY: boolean;
  band: Band;
}

function useCurves(tag: string, runs: readonly string[], version: number) {
  const key = tag && runs.length ? JSON.stringify([tag, runs, version]) : null;
  return useFetch<Curve[]>(key, (signal) => loadCurves(tag, runs, signal));
}

function CurvesChart(props: {
  tag: string;
  curves: Curve[];
  options: CurveOptions;
  color: (run: string) => string;
  height?: number;
  testId?: string;
  title?: string;
  /** With a band: the group label of each run (null: all curves form one group). */
  groupOf?: ((run: string) => string) | null;
}) {
  const { tag, curves, options, color, groupOf } = props;
  const series = useMemo((): LineSeries[] => {
    const y = (v: ArrayLike<number>) => (options.logY ? log10Values(v) : v);
    const smoothed = curves.map((c) => ({ ...c, value: debiasedEma(c.value, options.smoothing) }));
    const banded = options.band !== "none" && options.xAxis === "step";
    const out: LineSeries[] = [];
    if (!banded) {
      for (const c of smoothed) out.push({ label: c.run, color: color(c.run), x: xValues(options.xAxis, c.step, c.wall), y: y(c.value) });
    } else {
      // One mean line per group (the table's group-by key; all selected runs when there is none), and its band.
      const groups = new Map<string, typeof smoothed>();
      for (const c of smoothed) {
        const key = groupOf ? groupOf(c.run) : "selected runs";
        groups.set(key, [...(groups.get(key) ?? []), c]);
      }
      for (const [label, members] of groups) {
        const band = groupBand(members);
        if (!band || !band.steps.length) continue;
        const stroke = color(members[0].run);
        const [lo, hi] = options.band === "std"
          ? [band.mean.map((m, i) => m - band.std[i]), band.mean.map((m, i) => m + band.std[i])]
          : [band.lo, band.hi];
        const what = options.band === "std" ? "± std" : "min–max";
        out.push({ label: `${label} mean (${members.length})`, color: stroke, x: band.steps, y: y(band.mean) });
        out.push({ label: `${label} ${what} low`, color: stroke, x: band.steps, y: y(lo), dash: [3, 3] });
        out.push({ label: `${label} ${what} high`, color: stroke, x: band.steps, y: y(hi), dash: [3, 3] });
      }
    }
    if (options.xAxis === "step") {
      const all = out.flatMap((s) => Array.from(s.y).filter(Number.isFinite));
      const lo = Math.min(...all);
      const hi = Math.max(...all);
      const epochs = new Set<number>();
      curves.forEach((c) => c.epochs?.forEach((e) => epochs.add(e)));
      [...epochs].sort((a, b) => a - b).forEach((e) =>
        out.push({ label: `epoch @ ${e}`, color: "#bdc1c6", x: [e, e], y: [lo, hi], dash: [2, 4] }),
      );
    }
    return out;
  }, [curves, options, color, groupOf]);
  const xLabel = { step: "step", relative: "relative time (s)", wall: "wall time (s)" }[options.xAxis];
  return (
    <div className="tbs-panel" data-testid={props.testId ?? "curve-panel"} data-tag={tag}>
      <h3>{tag}</h3>
      <LineChart
        series={series}
        xLabel={xLabel}
        yLabel={options.logY ? `log10 ${tag}` : tag}
        height={props.height ?? 260}
        title={props.title ?? tag}
        filename={safeFilename("runs", props.title ?? tag)}
        hideFromLegend={(s) => s.label.startsWith("epoch @") || / (low|high)$/.test(s.label)}
      />
    </div>
  );
}

const DASHBOARD_PATTERNS: { title: string; test: RegExp }[] = [
  { title: "loss", test: /loss/i },
  { title: "perplexity", test: /perplex|ppl/i },
  { title: "learning rate", test: /(^|[^a-z])(lr|learning_rate)([^a-z]|$)/i },
  { title: "gradient norm", test: /grad.*norm/i },
  { title: "throughput", test: /throughput|samples_per|tokens_per|it_per|steps_per/i },
];

function DashboardTag({ run, tag, options, version }: { run: string; tag: string; options: CurveOptions; version: number }) {
  const curves = useCurves(tag, [run], version);
  if (!curves.data) return <ErrorBox message={curves.error} />;
  return <CurvesChart tag={tag} curves={curves.data} options={options} color={() => "#1f77b4"} height={180} testId="dashboard-chart" title={`${run} · ${tag}`} />;
}

function EpochBoxes({ row, version }: { row: Row; version: number }) {
  const run = row.run;
  const tags = Object.keys(row.metrics).sort();
  const [picked, setPicked] = useState("");
  // Default: the loss-like tag with the most points (a per-epoch spread needs many).
  const byPoints = [...tags].sort((a, b) => Number(/loss/i.test(b)) - Number(/loss/i.test(a)) || row.metrics[b].count - row.metrics[a].count);
  const tag = tags.includes(picked) ? picked : (byPoints[0] ?? "");
  const epochs = useFetch(tag ? JSON.stringify([run, tag, version]) : null, (signal) => loadEpochs(run, tag, signal));
  return (
    <div className="tbs-panel" data-testid="epoch-boxes">
      <div className="tbs-row">
        <h3 style={{ flex: 1 }}>{tag} per epoch</h3>
        <Select label="Metric" value={tag} options={tags} onChange={setPicked} testId="box-tag-select" />
      </div>
      <ErrorBox message={[epochs.error, epochs.data?.error]} />
      {epochs.data && <BoxPlot epochs={epochs.data.epochs} tag={tag} />}
    </div>
  );
}

function Dashboard({ row, options, version }: { row: Row; options: CurveOptions; version: number }) {
  const tags = Object.keys(row.metrics).sort();
  const panels = DASHBOARD_PATTERNS.flatMap((p) => tags.filter((t) => p.test.test(t)).map((t) => ({ title: p.title, tag: t })));
  const seen = new Set<string>();
  const unique = panels.filter((p) => !seen.has(p.tag) && seen.add(p.tag));
  return (
    <div className="tbs-panel" data-testid="dashboard" data-run={row.run} style={{ flex: 1, minWidth: 420 }}>
      <h3>{row.run}</h3>
      <div className="tbs-row" style={{ alignItems: "flex-start" }}>
        <table className="tbs-table" data-testid="dashboard-config" style={{ width: "auto" }}>
          <tbody>
            {Object.entries(row.config).map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{text(v)}</td>
              </tr>
            ))}
            {row.files.map((f) => (
              <tr key={f.path}>
                <td>{f.path}</td>
                <td>{f.bytes === null ? "" : `${f.bytes} B`}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="tbs-table" data-testid="dashboard-summary" style={{ width: "auto" }}>
          <thead>
            <tr>
              <th>metric</th>
              <th>final</th>
              <th>best</th>
              <th>@ step</th>
            </tr>
          </thead>
          <tbody>
            {tags.map((t) => (
              <tr key={t}>
                <td>{t}</td>
                <td>{text(row.metrics[t].final)}</td>
                <td>{text(row.metrics[t].best)}</td>
                <td>{text(row.metrics[t].best_step)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {unique.map((p) => (
        <DashboardTag key={p.tag} run={row.run} tag={p.tag} options={options} version={version} />
      ))}
      <EpochBoxes row={row} version={version} />
    </div>
  );
}

function Compare({ tag, runs, version }: { tag: string; runs: string[]; version: number }) {
  const key = tag && runs.length ? JSON.stringify([tag, runs, version]) : null;
  const compare = useFetch(key, (signal) => loadCompare(tag, runs, signal));
  const data = compare.data;
  return (
    <div className="tbs-panel" data-testid="compare">
      <div className="tbs-row">
        <h3 style={{ flex: 1 }}>{tag} at the steps every selected run logged</h3>
        <a href={routeUrl("compare", { tag, runs: JSON.stringify(runs), format: "csv" })} download="compare.csv" data-testid="compare-csv">
          CSV
        </a>
      </div>
      <ErrorBox message={compare.error} />
      {data && (
        <div className="tbs-scroll">
          <table className="tbs-table">
            <thead>
              <tr>
                <th>step</th>
                {data.runs.map((r) => (
                  <th key={r}>{r}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.steps.map((s, i) => (
                <tr key={s}>
                  <td>{s}</td>
                  {data.runs.map((r) => (
                    <td key={r}>{text(data.values[r][i])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function RunsApp() {
  const live = useLiveTags();
  const version = useVersion(live.tags);
  const [regex, setRegex] = useState("");
  const [filter, setFilter] = useState("");
  const [group, setGroup] = useState("");
  const [last, setLast] = useState(10);
  const [stat, setStat] = useState<Stat>("final");
  const [directions, setDirections] = useState<Record<string, "min" | "max">>({});
  const groupKeys = group ? [group] : [];
  const query = { regex, filter, group: groupKeys, last, directions };
  const runs = useFetch<RunsAnswer>(JSON.stringify([query, version]), (signal) => loadRuns(query, signal));
  // Until the first full answer (which reads every point once), a quick one shows names and configs.
  const [hadFull, setHadFull] = useState(false);
  const quick = useFetch<RunsAnswer>(hadFull ? null : JSON.stringify([query, version, "quick"]), (signal) =>
    loadRuns(query, signal, false),
  );
  // Keep the last good answer while a new one loads or a bad filter is shown.
  const [answer, setAnswer] = useState<RunsAnswer | null>(null);
  useEffect(() => {
    if (runs.data) {
      setAnswer(runs.data);
      setHadFull(true);
    } else if (quick.data && !hadFull) setAnswer(quick.data);
  }, [runs.data, quick.data, hadFull]);

  const [tag, setTag] = useState("");
  const tags = answer?.tags ?? [];
  const shownTag = tags.includes(tag) ? tag : defaultTag(answer);
  const [brushes, setBrushes] = useState<Brushes>({});
  const axes = useAxes(answer?.runs ?? [], answer?.config_keys ?? [], shownTag, stat);
  const brushed = useMemo(
    () => (answer ? { ...answer, runs: brushedRows(answer.runs, axes, brushes, shownTag, stat) } : null),
    [answer, axes, brushes, shownTag, stat],
  );
  const [picked, setPicked] = useState<string[] | null>(null);
  const visible = brushed?.runs.map((r) => r.run) ?? [];
  const selected = picked ? visible.filter((r) => picked.includes(r)) : visible.slice(0, DEFAULT_SELECTED);
  const [colorBy, setColorBy] = useState("");
  const [options, setOptions] = useState<CurveOptions>({ smoothing: 0.6, xAxis: "step", logY: false, band: "none" });
  const [view, setView] = useState<"curves" | "dashboard" | "compare" | "parallel">("curves");

  const byRun = useMemo(() => new Map((answer?.runs ?? []).map((r) => [r.run, r])), [answer]);
  // Colours by position among every run with scalars (as the other tabs), so filtering does not repaint runs.
  const palette = useRunColors(Object.keys(live.tags ?? {}));
  const scale = useMemo(
    () => (colorBy ? colorScale((answer?.runs ?? []).map((r) => r.config[colorBy])) : null),
    [answer, colorBy],
  );
  const color = useMemo(
    () => (run: string) => (scale ? scale.color(byRun.get(run)?.config[colorBy]) : (palette.get(run) ?? "#1f77b4")),
    [scale, byRun, colorBy, palette],
  );
  const curves = useCurves(view === "curves" ? shownTag : "", selected, version);
  const groupOf = useMemo(
    () => (group ? (run: string) => `${group}=${text(byRun.get(run)?.config[group])}` : null),
    [group, byRun],
  );

  return (
    <div className="tbs-app">
      <div className="tbs-toolbar">
        <Field label="Run name (regex)">
          <input data-testid="regex-input" value={regex} onChange={(e) => setRegex(e.target.value)} placeholder="e.g. ^lr0\.1" />
        </Field>
        <Field label="Config filter">
          <input
            data-testid="filter-input"
            style={{ minWidth: 260 }}
            defaultValue={filter}
            placeholder='lr < 1e-3 and model == "bert"'
            onKeyDown={(e) => e.key === "Enter" && setFilter((e.target as HTMLInputElement).value)}
            onBlur={(e) => setFilter(e.target.value)}
          />
        </Field>
        <Select label="Group by" value={group} options={[{ value: "", label: "(none)" }, ...(answer?.config_keys ?? []).map((k) => ({ value: k, label: k }))]} onChange={setGroup} testId="group-select" />
        <Select label="Column value" value={stat} options={STATS} onChange={setStat} testId="stat-select" />
        <Field label="N (mean of last N)">
          <input type="number" min={1} value={last} style={{ width: 60 }} onChange={(e) => setLast(Math.max(1, Number(e.target.value) || 1))} />
        </Field>
      </div>
      <ErrorBox message={[runs.error, live.error, ...(answer?.errors ?? [])]} />
      {answer && (
        <div className="tbs-muted" data-testid="runs-count">
          {visible.length} of {answer.total} runs · {selected.length} selected
          {answer.pending > 0 && <span data-testid="pending"> · reading the points of {answer.pending} series…</span>}
          {Object.keys(brushes).length > 0 && (
            <>
              {" "}· brushed on {Object.keys(brushes).length} axes{" "}
              <button type="button" data-testid="clear-brushes" onClick={() => setBrushes({})}>
                clear
              </button>
            </>
          )}
        </div>
      )}
      {answer?.groups && group && <GroupTable answer={answer} keys={groupKeys} />}
      {brushed && (
        <RunsTable answer={brushed} stat={stat} selected={selected} setSelected={setPicked} colors={color}
          flipDirection={(t, d) => setDirections({ ...directions, [t]: d === "min" ? "max" : "min" })} />
      )}
      <div className="tbs-toolbar">
        {(["curves", "dashboard", "compare", "parallel"] as const).map((v) => (
          <button key={v} type="button" aria-pressed={view === v} data-testid={`view-${v}`} onClick={() => setView(v)}>
            {v}
          </button>
        ))}
        {view !== "dashboard" && <Select label="Metric" value={shownTag} options={tags} onChange={setTag} testId="tag-select" />}
        <Select label="Colour by" value={colorBy} options={[{ value: "", label: "run" }, ...(answer?.config_keys ?? []).map((k) => ({ value: k, label: k }))]} onChange={setColorBy} testId="color-select" />
        <Field label={`Smoothing ${options.smoothing.toFixed(2)}`}>
          <input type="range" min={0} max={0.99} step={0.01} value={options.smoothing} data-testid="smoothing" onChange={(e) => setOptions({ ...options, smoothing: Number(e.target.value) })} />
        </Field>
        <Select label="X axis" value={options.xAxis} options={[{ value: "step", label: "step" }, { value: "relative", label: "relative time" }, { value: "wall", label: "wall time" }]} onChange={(x) => setOptions({ ...options, xAxis: x })} testId="x-select" />
        <label className="tbs-row">
          <input type="checkbox" checked={options.logY} data-testid="log-y" onChange={(e) => setOptions({ ...options, logY: e.target.checked })} /> log y
        </label>
        <Select label="Group mean" value={options.band} options={[{ value: "none", label: "off (every run)" }, { value: "minmax", label: "mean, min–max band" }, { value: "std", label: "mean ± std band" }]} onChange={(b) => setOptions({ ...options, band: b })} testId="band-select" />
      </div>
      {scale && (
        <div className="tbs-legend" data-testid="color-legend">
          <span>{colorBy}:</span>
          {scale.legend.map((l) => (
            <span key={l.label}>
              <Swatch color={l.color} />
              {l.label}
            </span>
          ))}
          {scale.continuous && <span className="tbs-muted">(viridis)</span>}
        </div>
      )}
      {view === "curves" && (
        <>
          <ErrorBox message={curves.error} />
          {curves.data && shownTag && curves.data.length > 0 && (
            <CurvesChart tag={shownTag} curves={curves.data} options={options} color={color} groupOf={groupOf} />
          )}
          {curves.data && curves.data.length === 0 && <span className="tbs-muted">no selected run has {shownTag}</span>}
        </>
      )}
      {view === "dashboard" && (
        <div className="tbs-row" style={{ alignItems: "flex-start" }}>
          {selected.length === 0 && <span className="tbs-muted">select one or two runs in the table</span>}
          {selected.slice(0, 2).map((run) => {
            const row = byRun.get(run);
            return row ? <Dashboard key={run} row={row} options={options} version={version} /> : null;
          })}
        </div>
      )}
      {view === "compare" && shownTag && <Compare tag={shownTag} runs={selected} version={version} />}
      {view === "parallel" && answer && (
        <div className="tbs-panel" style={{ overflowX: "auto" }}>
          <h3>Config keys against {shownTag} ({stat.replace("_", " ")}): drag along an axis to filter the table</h3>
          <ParallelCoords rows={answer.runs} axes={axes} metric={shownTag} stat={stat} brushes={brushes} setBrushes={setBrushes} color={color} />
        </div>
      )}
    </div>
  );
}
