/** Fetchers for the tbs_landscape routes (docs/http_api.md, tbs_landscape); types in ./record. */
import { getJson, getRecord } from "../../lib/api";
import { cachedLoader } from "../../lib/promiseCache";
import { toSlice, type Slice, type SliceMeta, type StepRow } from "./record";

async function getSlice(run: string, tag: string, step: number): Promise<Slice> {
  return toSlice(await getRecord<SliceMeta>("record", { run, tag, step }));
}

/** `loadSlice(run, tag, step, generation)`, `loadSteps(run, tag, generation)`: cached (lib/promiseCache). */
export const loadSlice = cachedLoader(getSlice, 16);
export const loadSteps = cachedLoader((run: string, tag: string) => getJson<StepRow[]>("steps", { run, tag }), 16);
