import { useEffect, useState } from "react";
import { darkModeQuery } from "./theme";

/** True while the system prefers a dark theme; canvases include it in their redraw deps. */
export function useDarkMode(): boolean {
  const [query] = useState(darkModeQuery);
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const onChange = () => setDark(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, [query]);
  return dark;
}
