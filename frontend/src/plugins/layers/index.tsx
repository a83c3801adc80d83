/** Entry of the tbs_layers tab: TensorBoard imports this module and calls render(). */
import { mountPlugin } from "../../lib/mount";
import { LayersApp } from "./App";

export function render(): void {
  mountPlugin(LayersApp);
}
