import { EXPORT_SCALE, composeFigure, downloadCanvasPng, figureColors, onBackground, type ExportBackground, type FigureColors, type LegendItem } from "./exportPng";

export interface ExportPngProps {
  /** The chart canvas as shown (used as it is when there is no `render`). */
  getCanvas?: () => HTMLCanvasElement | null;
  /** Draws the chart afresh in `colors` (a chart that can redraw for a white background). */
  render?: (colors: FigureColors) => HTMLCanvasElement | null | Promise<HTMLCanvasElement | null>;
  /** Figure title: run, tag, step. */
  title?: string;
  legend?: readonly LegendItem[];
  filename: string;
  testId?: string;
}

/** The figure of a chart, as `ExportPngButton` downloads it. */
export async function exportFigure(props: ExportPngProps, background: ExportBackground): Promise<HTMLCanvasElement | null> {
  const colors = figureColors(background);
  const rendered = (await props.render?.(colors)) ?? null;
  const chart = rendered ?? props.getCanvas?.() ?? null;
  if (!chart) return null;
  if (!props.title && !props.legend?.length) return onBackground(chart, colors);
  // `render` draws at EXPORT_SCALE; a shown canvas at its own pixel ratio.
  const scale = rendered ? EXPORT_SCALE : chart.width / (parseFloat(chart.style.width) || chart.clientWidth || chart.width);
  return composeFigure({ title: props.title ?? "", chart, scale, legend: props.legend, colors });
}

/**
 * "PNG" downloads the chart as a figure on the theme's background, "white" on white: title, chart
 * (with its colour bar) and legend.
 */
export function ExportPngButton(props: ExportPngProps) {
  const testId = props.testId ?? "export-png";
  const save = async (background: ExportBackground) => {
    const figure = await exportFigure(props, background);
    if (figure) await downloadCanvasPng(figure, props.filename);
  };
  return (
    <span className="tbs-export">
      <button type="button" data-testid={testId} onClick={() => void save("theme")} title="Download as PNG (this theme's background)">
        PNG
      </button>
      <button type="button" data-testid={`${testId}-white`} onClick={() => void save("white")} title="Download as PNG on a white background">
        white
      </button>
    </span>
  );
}
