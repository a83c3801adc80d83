/** Entry of the tbs_attention tab: TensorBoard imports this module and calls render(). */
import { mountPlugin } from "../../lib/mount";
import { AttentionApp } from "./App";

export function render(): void {
  mountPlugin(AttentionApp);
}
