/** Entry of the tbs_landscape tab: TensorBoard imports this module and calls render(). */
import { mountPlugin } from "../../lib/mount";
import { LandscapeApp } from "./App";

export function render(): void {
  mountPlugin(LandscapeApp);
}
