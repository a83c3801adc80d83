/** The map of the selected head (or layer average, or rollout), or its difference from the previous
 * step; a downsampled map zooms in where it is clicked. */
import { safeFilename } from "../../lib/exportPng";
import { Heatmap } from "../../lib/Heatmap";
import { MAP_SIZE } from "./data";
import type { AttentionMaps } from "./useMaps";
import type { AttentionSelection } from "./useSelection";

export function MapPanel({ sel, maps, title }: { sel: AttentionSelection; maps: AttentionMaps; title: string }) {
  const { run, tag, step, previous, diff, zoom, setZoom, colormap } = sel;
  const { shown, rowLabels, colLabels, compareDomain, domain, safeView, queryTokens, keyTokens } = maps;

  // A downsampled map zooms into MAP_SIZE tokens around the clicked cell, at full resolution.
  const onCellClick = (row: number, col: number) => {
    if (!shown || (shown.strideQ === 1 && shown.strideK === 1)) return;
    const around = (center: number, total: number) => {
      const start = Math.max(0, Math.min(total - MAP_SIZE, center - MAP_SIZE / 2));
      return [start, Math.min(total, start + MAP_SIZE)];
    };
    const [q0, q1] = around(shown.q0 + row * shown.strideQ, queryTokens.length);
    const [k0, k1] = around(shown.k0 + col * shown.strideK, keyTokens.length);
    setZoom({ q0, q1, k0, k1 });
  };

  return (
    <div className="tbs-panel" data-testid="map-panel">
      <h3>
        {title} · step {step}
        {diff && previous !== undefined ? ` minus step ${previous}` : ""}
        {shown && (shown.strideQ > 1 || shown.strideK > 1)
          ? ` · downsampled ${shown.strideQ}x${shown.strideK}: click to zoom`
          : ""}
      </h3>
      <div className="tbs-row">
        {zoom && (
          <button type="button" data-testid="reset-zoom" onClick={() => setZoom(null)}>
            Whole map
          </button>
        )}
      </div>
      {shown && (
        <Heatmap
          rows={shown.rows}
          cols={shown.cols}
          values={shown.values}
          rowLabels={rowLabels}
          colLabels={colLabels}
          rowTitle="query"
          colTitle="key"
          colormap={diff ? "diverging" : colormap}
          domain={compareDomain ?? domain}
          maxSize={640}
          onCellClick={onCellClick}
          colorBar={
            diff
              ? { title: `weight, step ${step} − step ${previous}`, highNote: "red: more now", lowNote: "blue: less now" }
              : { title: safeView === "rollout" ? "rollout weight" : "attention weight" }
          }
          exportTitle={`${run} · ${tag} · ${title} · step ${step}${diff && previous !== undefined ? ` minus step ${previous}` : ""}`}
          exportFilename={safeFilename(run, tag, String(step), title)}
        />
      )}
    </div>
  );
}
