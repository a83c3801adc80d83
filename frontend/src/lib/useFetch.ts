/** Runs an async load whenever `key` changes, aborting the previous one. */
import { useEffect, useState } from "react";

export interface FetchState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

export function useFetch<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): FetchState<T> {
  const [state, setState] = useState<FetchState<T>>({ data: null, error: null, loading: false });
  useEffect(() => {
    if (key === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: null, loading: false }),
      (e: Error) =>
        !controller.signal.aborted && e.name !== "AbortError" && setState({ data: null, error: e.message, loading: false }),
    );
    return () => controller.abort();
    // `load` is keyed by `key` by contract.
  }, [key]);
  return state;
}
