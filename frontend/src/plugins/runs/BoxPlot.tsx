/** Box plots of one metric per epoch (min, quartiles, median, max from the `epochs` route). */
import { formatNumber } from "../../lib/format";
import { cssVar } from "../../lib/theme";
import type { EpochStats } from "./data";

const HEIGHT = 180;
const PAD = 28;

export function BoxPlot({ epochs, tag }: { epochs: EpochStats[]; tag: string }) {
  if (!epochs.length) return <span className="tbs-muted">no epochs</span>;
  const lo = Math.min(...epochs.map((e) => e.min));
  const hi = Math.max(...epochs.map((e) => e.max));
  const width = Math.max(240, epochs.length * 40 + 2 * PAD);
  const slot = (width - 2 * PAD) / epochs.length;
  const y = (v: number) => PAD / 2 + (hi > lo ? (hi - v) / (hi - lo) : 0.5) * (HEIGHT - 1.5 * PAD);
  const accent = cssVar("--tbs-accent", "#f57c00");
  return (
    <svg width={width} height={HEIGHT} data-testid="box-plot" data-tag={tag}>
      <text x={2} y={y(hi) + 4} fontSize={10} fill="currentColor">{formatNumber(hi)}</text>
      <text x={2} y={y(lo) + 4} fontSize={10} fill="currentColor">{formatNumber(lo)}</text>
      {epochs.map((e, i) => {
        const cx = PAD + (i + 0.5) * slot;
        const w = Math.min(24, slot * 0.6);
        return (
          <g key={e.epoch ?? i} data-testid="box" data-median={e.median}>
            <title>{`epoch ${e.epoch}: n ${e.count}, min ${formatNumber(e.min)}, q1 ${formatNumber(e.q1)}, median ${formatNumber(e.median)}, q3 ${formatNumber(e.q3)}, max ${formatNumber(e.max)}`}</title>
            <line x1={cx} x2={cx} y1={y(e.max)} y2={y(e.min)} stroke="currentColor" />
            <rect x={cx - w / 2} width={w} y={y(e.q3)} height={Math.max(1, y(e.q1) - y(e.q3))} fill={accent} opacity={0.5} stroke="currentColor" />
            <line x1={cx - w / 2} x2={cx + w / 2} y1={y(e.median)} y2={y(e.median)} stroke="currentColor" strokeWidth={2} />
            <text x={cx} y={HEIGHT - 4} fontSize={10} textAnchor="middle" fill="currentColor">{e.epoch}</text>
          </g>
        );
      })}
    </svg>
  );
}
