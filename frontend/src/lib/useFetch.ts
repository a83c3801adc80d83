/**
 * Runs an async load whenever `key` changes, aborting the previous one. The result is kept with
 * its key: while a new key loads, `data` is null and `loading` true (never the previous key's data
 * under the new key's labels).
 */
import { useEffect, useState } from "react";

export interface FetchState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

interface KeyedState<T> {
  key: string | null;
  data: T | null;
  error: string | null;
}

/** What `useFetch` returns for `key` given the last settled state (exported for tests). */
export function stateFor<T>(key: string | null, settled: KeyedState<T>): FetchState<T> {
  if (key === null) return { data: null, error: null, loading: false };
  if (settled.key !== key) return { data: null, error: null, loading: true };
  return { data: settled.data, error: settled.error, loading: false };
}

export function useFetch<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): FetchState<T> {
  const [settled, setSettled] = useState<KeyedState<T>>({ key: null, data: null, error: null });
  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setSettled({ key, data, error: null }),
      (e: Error) =>
        !controller.signal.aborted && e.name !== "AbortError" && setSettled({ key, data: null, error: e.message }),
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `load` is keyed by `key` by contract
  }, [key]);
  return stateFor(key, settled);
}
