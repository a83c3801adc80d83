/** Every layer x head as a thumbnail (each scaled to its own maximum); click one to open it. */
import { useEffect, useRef } from "react";
import { colormapLut, type ColormapName } from "../../lib/colormaps";
import { packLut } from "../../lib/heatmapMath";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { EXPORT_SCALE, safeFilename, type FigureColors } from "../../lib/exportPng";

const THUMB_PX = 56;

function Thumb(props: { values: Float32Array; rows: number; cols: number; colormap: ColormapName }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    canvas.width = props.cols;
    canvas.height = props.rows;
    const ctx = canvas.getContext("2d")!;
    const image = ctx.createImageData(props.cols, props.rows);
    const pixels = new Uint32Array(image.data.buffer);
    const lut = packLut(colormapLut(props.colormap));
    let hi = 0;
    for (const v of props.values) if (v > hi) hi = v;
    for (let i = 0; i < pixels.length; i++) {
      pixels[i] = lut[hi > 0 ? Math.min(255, Math.round((props.values[i] / hi) * 255)) : 0];
    }
    ctx.putImageData(image, 0, 0);
  }, [props.values, props.rows, props.cols, props.colormap]);
  return <canvas ref={ref} style={{ width: THUMB_PX, height: THUMB_PX, imageRendering: "pixelated" }} />;
}

/** The thumbnails as one figure: a labelled layer x head grid on `colors.bg`. */
function gridFigure(grid: HTMLElement | null, layers: number, heads: number, colors: FigureColors): HTMLCanvasElement | null {
  const thumbs = grid ? [...grid.querySelectorAll("canvas")] : [];
  if (thumbs.length !== layers * heads) return null;
  const cell = 72;
  const left = 34;
  const top = 20;
  const out = document.createElement("canvas");
  const w = left + heads * cell;
  const h = top + layers * cell;
  out.width = w * EXPORT_SCALE;
  out.height = h * EXPORT_SCALE;
  out.style.width = `${w}px`;
  out.style.height = `${h}px`;
  const ctx = out.getContext("2d")!;
  ctx.setTransform(EXPORT_SCALE, 0, 0, EXPORT_SCALE, 0, 0);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, w, h);
  ctx.imageSmoothingEnabled = false;
  ctx.font = "11px sans-serif";
  ctx.fillStyle = colors.fg;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let hd = 0; hd < heads; hd++) ctx.fillText(`H${hd}`, left + hd * cell + cell / 2, top / 2);
  for (let l = 0; l < layers; l++) {
    ctx.fillText(`L${l}`, left / 2, top + l * cell + cell / 2);
    for (let hd = 0; hd < heads; hd++) ctx.drawImage(thumbs[l * heads + hd], left + hd * cell + 4, top + l * cell + 4, cell - 8, cell - 8);
  }
  return out;
}

export function HeadGrid(props: {
  shape: number[];
  values: Float32Array;
  colormap: ColormapName;
  selected: { layer: number; head: number } | null;
  onOpen: (layer: number, head: number) => void;
  /** Title of the exported figure (run, tag, step). */
  exportTitle?: string;
}) {
  const [layers, heads, rows, cols] = props.shape;
  const size = rows * cols;
  const grid = useRef<HTMLDivElement>(null);
  return (
    <>
    {props.exportTitle && (
      <div className="tbs-chart-tools">
        <ExportPngButton
          render={(colors) => gridFigure(grid.current, layers, heads, colors)}
          title={props.exportTitle}
          legend={[{ label: "each head scaled from 0 to its own maximum", color: "transparent" }]}
          filename={safeFilename(props.exportTitle)}
          testId="export-png-head-grid"
        />
      </div>
    )}
    <div ref={grid} data-testid="head-grid" style={{ display: "grid", gridTemplateColumns: `auto repeat(${heads}, ${THUMB_PX + 4}px)`, gap: 2 }}>
      <span />
      {Array.from({ length: heads }, (_, h) => (
        <span key={h} className="tbs-muted" style={{ textAlign: "center", fontSize: 11 }}>
          H{h}
        </span>
      ))}
      {Array.from({ length: layers }, (_, l) => [
        <span key={`l${l}`} className="tbs-muted" style={{ fontSize: 11, alignSelf: "center" }}>
          L{l}
        </span>,
        ...Array.from({ length: heads }, (_, h) => {
          const offset = (l * heads + h) * size;
          const active = props.selected?.layer === l && props.selected?.head === h;
          return (
            <button
              key={`${l}-${h}`}
              type="button"
              data-testid={`thumb-${l}-${h}`}
              title={`layer ${l}, head ${h}`}
              aria-pressed={active}
              onClick={() => props.onOpen(l, h)}
              style={{ padding: 1, lineHeight: 0 }}
            >
              <Thumb values={props.values.subarray(offset, offset + size)} rows={rows} cols={cols} colormap={props.colormap} />
            </button>
          );
        }),
      ])}
    </div>
    </>
  );
}
