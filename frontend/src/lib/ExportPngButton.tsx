import { downloadCanvasPng } from "./exportPng";

/** Downloads the canvas returned by `getCanvas` as a PNG. */
export function ExportPngButton(props: { getCanvas: () => HTMLCanvasElement | null; filename: string; testId?: string }) {
  const onClick = () => {
    const canvas = props.getCanvas();
    if (canvas) void downloadCanvasPng(canvas, props.filename);
  };
  return (
    <button type="button" data-testid={props.testId ?? "export-png"} onClick={onClick} title="Download as PNG">
      PNG
    </button>
  );
}
