/** One module's feature maps at one step: each channel min-max scaled on its own, in a grid. */
import { useLayoutEffect, useRef } from "react";
import { colormapLut } from "../../lib/colormaps";
import { ExportPngButton } from "../../lib/ExportPngButton";
import { safeFilename } from "../../lib/exportPng";
import { cssVar } from "../../lib/theme";
import { useDarkMode } from "../../lib/useDarkMode";
import type { FeatureMaps } from "./data";
import { gridShape } from "./record";

const TILE = 72;
const GAP = 4;

export function FeatureMapGrid(props: { maps: FeatureMaps; title: string; filename: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dark = useDarkMode();
  const { channels, height, width, data } = props.maps;
  const [cols, rows] = gridShape(channels);
  const scale = Math.max(1, Math.floor(TILE / Math.max(height, width)));

  useLayoutEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const tileW = width * scale;
    const tileH = height * scale;
    el.width = cols * (tileW + GAP);
    el.height = rows * (tileH + GAP);
    const ctx = el.getContext("2d")!;
    ctx.fillStyle = cssVar("--tbs-bg", dark ? "#202124" : "#ffffff");
    ctx.fillRect(0, 0, el.width, el.height);
    const lut = colormapLut("viridis");
    const tile = document.createElement("canvas");
    tile.width = width;
    tile.height = height;
    const tctx = tile.getContext("2d")!;
    ctx.imageSmoothingEnabled = false;
    for (let c = 0; c < channels; c++) {
      const offset = c * height * width;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < height * width; i++) {
        const v = data[offset + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const image = tctx.createImageData(width, height);
      for (let i = 0; i < height * width; i++) {
        const t = hi > lo ? (data[offset + i] - lo) / (hi - lo) : 0;
        const k = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
        image.data.set([lut[k], lut[k + 1], lut[k + 2], 255], i * 4);
      }
      tctx.putImageData(image, 0, 0);
      ctx.drawImage(tile, (c % cols) * (tileW + GAP), Math.floor(c / cols) * (tileH + GAP), tileW, tileH);
    }
  }, [data, channels, height, width, cols, rows, scale, dark]);

  return (
    <div data-testid="feature-maps">
      <canvas ref={canvas} data-testid="feature-map-canvas" style={{ maxWidth: "100%" }} />
      <div className="tbs-row">
        <span className="tbs-muted">
          {channels} channels of {height}×{width}, each scaled to its own min–max
        </span>
        <ExportPngButton getCanvas={() => canvas.current} title={props.title} filename={props.filename} testId="feature-maps-png" />
      </div>
    </div>
  );
}

export function featureMapFilename(run: string, tag: string, step: number, layer: string): string {
  return safeFilename(run, tag, String(step), layer, "feature-maps");
}
