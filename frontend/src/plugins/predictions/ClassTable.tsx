/** Per-class metrics, sortable by any column (click a header; again to reverse). */
import { useMemo, useState } from "react";
import { formatMetric } from "../../lib/format";
import type { PredRecord } from "./record";

type Column = "class" | "precision" | "recall" | "f1" | "support" | "auc" | "ap";

interface Row {
  index: number;
  name: string;
  values: Record<Exclude<Column, "class">, number>;
}

function formatCell(col: Exclude<Column, "class">, v: number): string {
  return col === "support" ? String(v) : formatMetric(v);
}

/** NaN sorts last whatever the direction. */
export function compareMetric(a: number, b: number, dir: 1 | -1): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return (a - b) * dir;
}

export function ClassTable({ record }: { record: PredRecord }) {
  const [sort, setSort] = useState<{ col: Column; dir: 1 | -1 }>({ col: "class", dir: 1 });
  const hasCurves = record.auc !== null;
  const columns: Column[] = hasCurves
    ? ["class", "precision", "recall", "f1", "support", "auc", "ap"]
    : ["class", "precision", "recall", "f1", "support"];

  const rows = useMemo<Row[]>(
    () =>
      record.classNames.map((name, i) => ({
        index: i,
        name,
        values: {
          precision: record.precision[i],
          recall: record.recall[i],
          f1: record.f1[i],
          support: record.support[i],
          auc: record.auc?.[i] ?? NaN,
          ap: record.ap?.[i] ?? NaN,
        },
      })),
    [record],
  );
  const sorted = useMemo(() => {
    const { col, dir } = sort;
    return [...rows].sort((a, b) =>
      col === "class" ? (a.index - b.index) * dir : compareMetric(a.values[col], b.values[col], dir),
    );
  }, [rows, sort]);

  const onHeader = (col: Column) =>
    setSort((s) => (s.col === col ? { col, dir: s.dir === 1 ? -1 : 1 } : { col, dir: col === "class" ? 1 : -1 }));

  return (
    <div className="tbs-scroll">
      <table className="tbs-table" data-testid="class-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} onClick={() => onHeader(c)} aria-sort={sort.col === c ? (sort.dir === 1 ? "ascending" : "descending") : "none"}>
                {c === "auc" || c === "ap" ? c.toUpperCase() : c}
                {sort.col === c ? (sort.dir === 1 ? " ▲" : " ▼") : ""}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={row.index}>
              <td title={row.name}>{row.name}</td>
              {columns.slice(1).map((c) => (
                <td key={c}>{formatCell(c as Exclude<Column, "class">, row.values[c as Exclude<Column, "class">])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
