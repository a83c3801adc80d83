/** Entry of the tbs_tokens tab: TensorBoard imports this module and calls render(). */
import { mountPlugin } from "../../lib/mount";
import { TokensApp } from "./App";

export function render(): void {
  mountPlugin(TokensApp);
}
