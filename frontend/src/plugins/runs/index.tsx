/** Entry of the tbs_runs tab: TensorBoard imports this module and calls render(). */
import { mountPlugin } from "../../lib/mount";
import { RunsApp } from "./App";

export function render(): void {
  mountPlugin(RunsApp);
}
