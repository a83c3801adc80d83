/** Entry of the tbs_predictions tab: TensorBoard imports this module and calls render(). */
import { mountPlugin } from "../../lib/mount";
import { PredictionsApp } from "./App";

export function render(): void {
  mountPlugin(PredictionsApp);
}
