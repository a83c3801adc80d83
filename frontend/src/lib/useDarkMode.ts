import { useSyncExternalStore } from "react";
import { isDark, onThemeChange } from "./themeSync";

/** True while the tab is dark (TensorBoard's theme, else the system's); canvases include it in their redraw deps. */
export function useDarkMode(): boolean {
  return useSyncExternalStore(onThemeChange, isDark, () => false);
}
