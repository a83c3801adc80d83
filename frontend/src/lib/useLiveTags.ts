/**
 * Live view of `./tags`: polled every `intervalMs` while the document is visible (never while
 * hidden: TensorBoard keeps inactive tab iframes alive), refetched when the page becomes visible,
 * when TensorBoard reloads data, and when its run list changes.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { getJson, type TagsResponse } from "./api";
import { MessageType, hostBridge } from "./bridge";

export interface LiveTags<M> {
  tags: TagsResponse<M> | null;
  error: string | null;
  /** Increments on every host DataReloaded, so views can refetch records that may have changed. */
  reloadCount: number;
}

export function useLiveTags<M>(intervalMs = 2000): LiveTags<M> {
  const [tags, setTags] = useState<TagsResponse<M> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloadCount, setReloadCount] = useState(0);
  const lastText = useRef("");

  const refresh = useCallback(async () => {
    try {
      const next = await getJson<TagsResponse<M>>("tags");
      const text = JSON.stringify(next);
      // Keep the old object when nothing changed, so dependent views do not refetch.
      if (text !== lastText.current) {
        lastText.current = text;
        setTags(next);
      }
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      if (timer === undefined) timer = setInterval(() => void refresh(), intervalMs);
    };
    const stop = () => {
      clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.hidden) stop();
      else {
        void refresh();
        start();
      }
    };
    void refresh();
    if (!document.hidden) start();
    document.addEventListener("visibilitychange", onVisibility);
    const bridge = hostBridge();
    const offReload = bridge.on(MessageType.DataReloaded, () => {
      setReloadCount((n) => n + 1);
      void refresh();
    });
    const offRuns = bridge.on(MessageType.RunsChanged, () => void refresh());
    return () => {
      stop();
      document.removeEventListener("visibilitychange", onVisibility);
      offReload();
      offRuns();
    };
  }, [refresh, intervalMs]);

  return { tags, error, reloadCount };
}
