/**
 * A popover next to an anchor rectangle (viewport coordinates), kept inside the window: below the
 * anchor when it fits, else above; shifted left/up as needed. Fixed-positioned, so it stays in view
 * whatever the page's scroll; pointer events pass through it (it never steals the hover).
 */
import { useLayoutEffect, useRef, useState, type ReactNode } from "react";

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const GAP = 6;
const MARGIN = 8;

/** Where a `width` x `height` box goes next to `anchor` inside a `viewW` x `viewH` window. */
export function placeNear(anchor: Rect, width: number, height: number, viewW: number, viewH: number): { left: number; top: number } {
  let top = anchor.bottom + GAP;
  if (top + height > viewH - MARGIN) top = anchor.top - GAP - height; // above
  top = Math.max(MARGIN, Math.min(top, viewH - MARGIN - height));
  const left = Math.max(MARGIN, Math.min(anchor.left, viewW - MARGIN - width));
  return { left, top };
}

export function Popover(props: { anchor: Rect; children: ReactNode; testId?: string; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ left: number; top: number } | null>(null);
  const { left, top, right, bottom } = props.anchor;
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const box = el.getBoundingClientRect();
    setPos(placeNear({ left, top, right, bottom }, box.width, box.height, window.innerWidth, window.innerHeight));
  }, [left, top, right, bottom, props.children]);
  return (
    <div
      ref={ref}
      className={`tbs-popover ${props.className ?? ""}`}
      data-testid={props.testId}
      style={{ left: pos?.left ?? left, top: pos?.top ?? bottom + GAP, visibility: pos ? "visible" : "hidden" }}
    >
      {props.children}
    </div>
  );
}
