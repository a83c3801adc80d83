/**
 * Live view of `./tags`: polled every `intervalMs` while the page is visible (never while hidden:
 * TensorBoard keeps inactive tab iframes alive, hidden by styles), refetched once when the page
 * becomes visible again, when TensorBoard reloads data, and when its run list changes.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { getJson, type TagsResponse } from "./api";
import { MessageType, hostBridge } from "./bridge";

export interface LiveTags<M> {
  tags: TagsResponse<M> | null;
  error: string | null;
  /**
   * Increments on a host DataReloaded (or on becoming visible again) when `./tags` changed since the
   * last increment, never while hidden, so views can refetch records that may have changed.
   */
  reloadCount: number;
  /** True while the page is hidden (see `pageHidden`); timers and animations should pause. */
  hidden: boolean;
}

/**
 * Whether this page is hidden. TensorBoard hides inactive plugin iframes with styles
 * (`visibility: hidden; max-height: 0`), which leaves `document.hidden` false but the iframe's
 * viewport 0 px tall.
 */
export function pageHidden(): boolean {
  return document.hidden || window.innerHeight === 0 || document.visibilityState !== "visible";
}

/** `pageHidden()`, re-evaluated on `visibilitychange` and `resize`. */
export function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(pageHidden);
  useEffect(() => {
    const update = () => setHidden(pageHidden());
    document.addEventListener("visibilitychange", update);
    window.addEventListener("resize", update);
    update();
    return () => {
      document.removeEventListener("visibilitychange", update);
      window.removeEventListener("resize", update);
    };
  }, []);
  return hidden;
}

export function useLiveTags<M>(intervalMs = 2000): LiveTags<M> {
  const [tags, setTags] = useState<TagsResponse<M> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloadCount, setReloadCount] = useState(0);
  const hidden = usePageHidden();
  const lastText = useRef("");
  /** Id of the latest `./tags` request: only its response is applied. */
  const latest = useRef(0);
  const mounted = useRef(true);
  /** The tags text `reloadCount` last stood for ("" before the first response). */
  const reloadedText = useRef("");
  const hiddenRef = useRef(hidden);
  hiddenRef.current = hidden;

  /** A DataReloaded / return to visible awaits the next applied response to decide on a bump. */
  const reloadCheck = useRef(false);

  /**
   * Fetches `./tags`; with `checkReload` (kept until a response is applied, even a later request's),
   * bumps `reloadCount` if they changed since the last bump.
   */
  const refresh = useCallback(async (checkReload = false) => {
    if (checkReload) reloadCheck.current = true;
    const id = ++latest.current;
    try {
      const next = await getJson<TagsResponse<M>>("tags");
      if (!mounted.current || id !== latest.current) return;
      const text = JSON.stringify(next);
      // Keep the old object when nothing changed, so dependent views do not refetch.
      if (text !== lastText.current) {
        lastText.current = text;
        setTags(next);
      }
      if (reloadedText.current === "") reloadedText.current = text;
      else if (reloadCheck.current && text !== reloadedText.current && !hiddenRef.current) {
        reloadedText.current = text;
        setReloadCount((n) => n + 1);
      }
      reloadCheck.current = false;
      setError(null);
    } catch (e) {
      if (mounted.current && id === latest.current) setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Poll while visible; one refresh on mount and on every return to visible.
  useEffect(() => {
    if (hidden) return;
    void refresh(true);
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => clearInterval(timer);
  }, [hidden, refresh, intervalMs]);

  useEffect(() => {
    const bridge = hostBridge();
    const offReload = bridge.on(MessageType.DataReloaded, () => {
      if (hiddenRef.current) return; // the refresh on becoming visible picks up any change
      void refresh(true);
    });
    const offRuns = bridge.on(MessageType.RunsChanged, () => {
      if (!hiddenRef.current) void refresh();
    });
    return () => {
      offReload();
      offRuns();
    };
  }, [refresh]);

  return { tags, error, reloadCount, hidden };
}
