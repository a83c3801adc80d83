/** Parallel coordinates of config keys against one metric summary; dragging along an axis brushes it, and
 * the brushes filter the runs table (a run must lie inside every brush). Double-click an axis to clear. */
import { useMemo, useRef, useState } from "react";
import { formatNumber } from "../../lib/format";
import { inBrush, makeAxis, position, varyingKeys, type Axis } from "./parallel";
import type { ConfigValue, Row } from "./data";

const HEIGHT = 220;
const PAD_TOP = 24;
const PAD_BOTTOM = 28;
const AXIS_GAP = 130;

export type Brushes = Record<string, [number, number]>;

function valueOf(row: Row, axis: Axis, metric: string, stat: string): ConfigValue | undefined {
  if (axis.key === "__metric__") {
    const summary = row.metrics[metric] as unknown as Record<string, ConfigValue> | undefined;
    return summary?.[stat];
  }
  return row.config[axis.key];
}

/** The rows inside every brush. */
export function brushedRows(rows: readonly Row[], axes: readonly Axis[], brushes: Brushes, metric: string, stat: string): Row[] {
  return rows.filter((row) =>
    axes.every((axis) => !brushes[axis.key] || inBrush(axis, valueOf(row, axis, metric, stat), brushes[axis.key])),
  );
}

export function useAxes(rows: readonly Row[], configKeys: readonly string[], metric: string, stat: string): Axis[] {
  return useMemo(() => {
    const keys = varyingKeys(rows, configKeys).slice(0, 10);
    const axes = keys.map((k) => makeAxis(k, k, rows.map((r) => r.config[k])));
    if (metric) {
      const metricAxis = makeAxis("__metric__", `${metric} (${stat.replace("_", " ")})`, rows.map((r) => valueOf(r, { key: "__metric__" } as Axis, metric, stat)));
      axes.push(metricAxis);
    }
    return axes;
  }, [rows, configKeys, metric, stat]);
}

export function ParallelCoords(props: {
  rows: readonly Row[];
  axes: Axis[];
  metric: string;
  stat: string;
  brushes: Brushes;
  setBrushes: (b: Brushes) => void;
  color: (run: string) => string;
}) {
  const { rows, axes, metric, stat, brushes, setBrushes, color } = props;
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ key: string; start: number; end: number } | null>(null);
  const width = Math.max(300, (axes.length - 1) * AXIS_GAP + 120);
  const y = (p: number) => PAD_TOP + (1 - p) * (HEIGHT - PAD_TOP - PAD_BOTTOM);
  const toPos = (clientY: number) => {
    const box = svg.current!.getBoundingClientRect();
    const py = ((clientY - box.top) / box.height) * HEIGHT;
    return Math.max(0, Math.min(1, 1 - (py - PAD_TOP) / (HEIGHT - PAD_TOP - PAD_BOTTOM)));
  };
  const x = (i: number) => 60 + i * AXIS_GAP;
  const inside = new Set(brushedRows(rows, axes, brushes, metric, stat).map((r) => r.run));
  if (axes.length < 2) return <span className="tbs-muted">parallel coordinates need at least one config key that varies</span>;
  return (
    <svg
      ref={svg}
      width={width}
      height={HEIGHT}
      viewBox={`0 0 ${width} ${HEIGHT}`}
      data-testid="parallel-coords"
      style={{ userSelect: "none" }}
      onMouseMove={(e) => drag && setDrag({ ...drag, end: toPos(e.clientY) })}
      onMouseUp={() => {
        if (drag) {
          const next = { ...brushes };
          if (Math.abs(drag.end - drag.start) < 0.01) delete next[drag.key];
          else next[drag.key] = [Math.min(drag.start, drag.end), Math.max(drag.start, drag.end)];
          setBrushes(next);
        }
        setDrag(null);
      }}
    >
      {rows.map((row) => {
        const points = axes.map((axis, i) => [x(i), position(axis, valueOf(row, axis, metric, stat))] as const);
        const d = points
          .filter(([, p]) => Number.isFinite(p))
          .map(([px, p], i) => `${i ? "L" : "M"}${px},${y(p)}`)
          .join(" ");
        return (
          <path
            key={row.run}
            d={d}
            fill="none"
            stroke={inside.has(row.run) ? color(row.run) : "var(--tbs-border)"}
            strokeWidth={inside.has(row.run) ? 1.5 : 1}
            opacity={inside.has(row.run) ? 0.9 : 0.5}
            data-run={row.run}
          >
            <title>{row.run}</title>
          </path>
        );
      })}
      {axes.map((axis, i) => {
        const brush = drag?.key === axis.key ? [Math.min(drag.start, drag.end), Math.max(drag.start, drag.end)] : brushes[axis.key];
        const ticks = axis.numeric ? [0, 0.5, 1].map((p) => [p, formatNumber(axis.lo + p * (axis.hi - axis.lo), 3)] as const)
          : axis.categories.map((c) => [position(axis, c), c] as const);
        return (
          <g key={axis.key} data-testid="pc-axis" data-key={axis.key}>
            <text x={x(i)} y={14} textAnchor="middle" fontSize={11} fill="currentColor">{axis.label}</text>
            <line x1={x(i)} x2={x(i)} y1={y(1)} y2={y(0)} stroke="currentColor" />
            {ticks.map(([p, label]) => (
              <text key={String(label)} x={x(i) + 5} y={y(p) + 4} fontSize={10} fill="var(--tbs-muted)">{label}</text>
            ))}
            {brush && <rect x={x(i) - 7} width={14} y={y(brush[1])} height={Math.max(1, y(brush[0]) - y(brush[1]))} fill="var(--tbs-accent)" opacity={0.3} />}
            <rect
              data-testid={`pc-brush-${axis.key}`}
              x={x(i) - 10}
              width={20}
              y={y(1) - 4}
              height={y(0) - y(1) + 8}
              fill="transparent"
              style={{ cursor: "ns-resize" }}
              onMouseDown={(e) => {
                const p = toPos(e.clientY);
                setDrag({ key: axis.key, start: p, end: p });
              }}
              onDoubleClick={() => {
                const next = { ...brushes };
                delete next[axis.key];
                setBrushes(next);
              }}
            />
          </g>
        );
      })}
    </svg>
  );
}
