/** Every layer x head as a thumbnail (each scaled to its own maximum); click one to open it. */
import { useEffect, useRef } from "react";
import { colormapLut, type ColormapName } from "../../lib/colormaps";
import { packLut } from "../../lib/heatmapMath";

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

export function HeadGrid(props: {
  shape: number[];
  values: Float32Array;
  colormap: ColormapName;
  selected: { layer: number; head: number } | null;
  onOpen: (layer: number, head: number) => void;
}) {
  const [layers, heads, rows, cols] = props.shape;
  const size = rows * cols;
  return (
    <div data-testid="head-grid" style={{ display: "grid", gridTemplateColumns: `auto repeat(${heads}, ${THUMB_PX + 4}px)`, gap: 2 }}>
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
  );
}
