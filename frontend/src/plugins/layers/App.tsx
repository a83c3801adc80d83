/**
 * The tbs_layers tab: gradient flow at a step, a layer x step heatmap of any statistic (click a cell to
 * open that layer at that step), one layer's distributions over steps, update ratios and dead units,
 * the diagnoses with a first-NaN banner, and feature maps. Several runs sit side by side.
 */
import { useState } from "react";
import { ErrorBox, Field, RunTagStepPickers, Select } from "../../lib/pickers";
import { stepFor } from "../../lib/tagSelection";
import { useLiveTags } from "../../lib/useLiveTags";
import { useRunTagStep } from "../../lib/useRunTagStep";
import { runColor } from "../../lib/theme";
import { useDiagnoses, useDistributions, useFeatureMaps, useLayerRecords, useSeries } from "./data";
import { FeatureMapGrid, featureMapFilename } from "./FeatureMapGrid";
import { HEATMAP_STATS, KINDS, type Kind } from "./record";
import { DiagnosesPanel, GradientFlow, NanBanner, UpdateAndDead } from "./StepPanels";
import { Distributions, LayerStepHeatmap } from "./TimePanels";

const DEFAULT_RUNS = 2;

export function LayersApp() {
  const live = useLiveTags();
  const selection = useRunTagStep(live.tags, DEFAULT_RUNS);
  const { tag, runsWithTag, specs, colors, step } = selection;
  const generation = live.reloadCount;
  const records = useLayerRecords(tag, specs, generation);
  const [stat, setStat] = useState("grad_norm");
  const statInfo = HEATMAP_STATS.find((s) => s.value === stat) ?? HEATMAP_STATS[0];
  const [kind, setKind] = useState<Kind>("gradients");
  const [pickedLayer, setLayer] = useState<string | null>(null);
  const series = useSeries(tag, runsWithTag, stat, generation);
  const diagnoses = useDiagnoses(tag, runsWithTag, generation);

  const firstRecord = specs.length ? records.data?.byRun.get(specs[0].run) : undefined;
  const layers = firstRecord?.meta.layers ?? [];
  const layer = pickedLayer !== null && layers.includes(pickedLayer) ? pickedLayer : (layers[0] ?? null);
  // Only the runs whose record has the layer (runs may watch different models).
  const runsWithLayer = runsWithTag.filter((run) => layer !== null && records.data?.byRun.get(run)?.meta.layers.includes(layer));
  const distributions = useDistributions(tag, runsWithLayer, layer, kind, generation);

  const fmapRun = specs.find((s) => records.data?.byRun.get(s.run)?.meta.feature_maps?.length);
  const fmapModules = (fmapRun && records.data?.byRun.get(fmapRun.run)?.meta.feature_maps?.map((f) => f.layer)) || [];
  const [pickedModule, setModule] = useState<string | null>(null);
  const fmapModule = pickedModule !== null && fmapModules.includes(pickedModule) ? pickedModule : (fmapModules[0] ?? null);
  const fmaps = useFeatureMaps(fmapRun?.run ?? "", tag, fmapRun?.step ?? 0, fmapModule, generation);

  const open = (run: string, name: string, at: number) => {
    setLayer(name);
    const steps = live.tags?.[run]?.[tag]?.steps ?? [];
    selection.setStep(stepFor(steps.length ? steps : selection.steps, at));
  };

  const errors = [live.error, records.error, series.error, diagnoses.error, distributions.error, fmaps.error, ...(records.data?.errors ?? [])];

  return (
    <div className="tbs-app">
      <div className="tbs-toolbar">
        <RunTagStepPickers selection={selection} />
        <Select label="Heatmap statistic" value={stat} options={HEATMAP_STATS.map((s) => ({ value: s.value, label: s.label }))} onChange={setStat} testId="stat-picker" />
        {layers.length > 0 && layer !== null && (
          <Select label="Layer" value={layer} options={layers} onChange={setLayer} testId="layer-picker" />
        )}
        <Select label="Distribution of" value={kind} options={KINDS} onChange={setKind} testId="kind-picker" />
      </div>
      <ErrorBox message={errors} />
      {diagnoses.data && <NanBanner answers={diagnoses.data} />}
      {live.tags && selection.runs.length === 0 && (
        <div className="tbs-muted">
          No layer statistics logged yet. Use monitor = tb_suite.LayerMonitor(model, writer, every=100) and monitor.step(step) after optimizer.step().
        </div>
      )}
      {diagnoses.data && <DiagnosesPanel answers={diagnoses.data} onOpen={open} />}
      <div className="tbs-row" style={{ alignItems: "flex-start" }}>
        {specs.map(({ run, step: runStep }) => {
          const record = records.data?.byRun.get(run);
          if (!record) return null;
          const index = layer === null ? null : record.meta.layers.indexOf(layer);
          const props = {
            run, tag, step: runStep, record, color: runColor(colors, run), selected: index !== null && index >= 0 ? index : null,
            onSelect: (i: number) => setLayer(record.meta.layers[i]),
          };
          return (
            <div key={run} style={{ flex: "1 1 600px", minWidth: 0, display: "flex", flexDirection: "column", gap: 12 }} data-testid="run-column">
              <GradientFlow {...props} />
              <UpdateAndDead {...props} />
            </div>
          );
        })}
      </div>
      <div className="tbs-row" style={{ alignItems: "flex-start" }}>
        {(series.data ?? []).map((s) => (
          <div key={s.run} style={{ flex: "1 1 600px", minWidth: 0 }}>
            <LayerStepHeatmap
              series={s}
              tag={tag}
              statLabel={statInfo.label}
              log={statInfo.log}
              color={runColor(colors, s.run)}
              selectedLayer={layer}
              selectedStep={stepFor(Array.from(s.steps), step)}
              onOpen={(name, at) => open(s.run, name, at)}
            />
          </div>
        ))}
      </div>
      {layer !== null && distributions.data && (
        <Distributions
          distributions={distributions.data}
          records={records.data?.byRun}
          colors={colors}
          tag={tag}
          layer={layer}
          kind={kind}
          step={step}
          onStep={(s) => selection.setStep(stepFor(selection.steps, s))}
        />
      )}
      {fmapRun && fmapModule !== null && (
        <div className="tbs-panel">
          <h3>
            Feature maps · {fmapRun.run} · step {fmapRun.step}
          </h3>
          <Field label="Module">
            <Select label="" value={fmapModule} options={fmapModules} onChange={setModule} testId="fmap-picker" />
          </Field>
          {fmaps.data && (
            <FeatureMapGrid
              maps={fmaps.data}
              title={`${fmapModule} · ${fmapRun.run} · ${tag} · step ${fmapRun.step}`}
              filename={featureMapFilename(fmapRun.run, tag, fmapRun.step, fmapModule)}
            />
          )}
        </div>
      )}
    </div>
  );
}
