/** The stored examples of one confusion cell, with thumbnails when images were logged. */
import { useLayoutEffect, useRef } from "react";
import { ErrorBox } from "../../lib/pickers";
import { formatValue } from "../../lib/format";
import type { Examples } from "./record";

const MAX_SHOWN = 200;

function Thumbnail({ data, index, height, width }: { data: Uint8Array; index: number; height: number; width: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const image = ctx.createImageData(width, height);
    const base = index * height * width * 3;
    for (let p = 0, q = base; p < image.data.length; p += 4, q += 3) {
      image.data[p] = data[q];
      image.data[p + 1] = data[q + 1];
      image.data[p + 2] = data[q + 2];
      image.data[p + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }, [data, index, height, width]);
  const scale = Math.max(1, Math.floor(64 / Math.max(height, width)));
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      style={{ width: width * scale, height: height * scale, imageRendering: "pixelated" }}
    />
  );
}

export function ExamplesPanel(props: {
  trueName: string;
  predName: string;
  count: number;
  examples: Examples | null;
  loading: boolean;
  error: string | null;
  onClose: () => void;
}) {
  const { examples } = props;
  const n = examples ? examples.index.length : 0;
  return (
    <div className="tbs-panel" data-testid="examples-panel" style={{ minWidth: 240, maxWidth: 420 }}>
      <div className="tbs-row" style={{ justifyContent: "space-between" }}>
        <h3>
          true <b>{props.trueName}</b> → predicted <b>{props.predName}</b>
        </h3>
        <button type="button" onClick={props.onClose} aria-label="close">
          ×
        </button>
      </div>
      <div className="tbs-muted">
        {props.count} samples in cell{examples ? `, ${n} stored` : ""}
      </div>
      <ErrorBox message={props.error} />
      {props.loading && !examples && <div className="tbs-muted">loading…</div>}
      {examples && n === 0 && <div className="tbs-muted">no stored examples for this cell</div>}
      <div className="tbs-scroll" style={{ display: "flex", flexWrap: "wrap", gap: 8, marginTop: 8 }}>
        {examples &&
          Array.from({ length: Math.min(n, MAX_SHOWN) }, (_, i) => (
            <div key={i} data-testid="example" style={{ display: "flex", flexDirection: "column", alignItems: "center" }}>
              {examples.thumbnails && (
                <Thumbnail
                  data={examples.thumbnails.data}
                  index={i}
                  height={examples.thumbnails.height}
                  width={examples.thumbnails.width}
                />
              )}
              <span>#{examples.index[i]}</span>
              <span className="tbs-muted">{formatValue(examples.score[i])}</span>
            </div>
          ))}
      </div>
      {n > MAX_SHOWN && <div className="tbs-muted">first {MAX_SHOWN} of {n} shown</div>}
    </div>
  );
}
