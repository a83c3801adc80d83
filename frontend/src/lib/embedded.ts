/**
 * Route answers embedded in a standalone export (`tb-suite export`, tb_suite/export): the page holds
 * `<script type="application/json" id="tbs-embedded">` mapping `embeddedKey(route, params)` to an answer,
 * and `api.ts` answers from it instead of fetching. In an export a route it lacks is a 404, so no
 * request ever leaves the page. Binary answers are base85 (Python's `base64.b85encode` alphabet with
 * "<" written as "." so the text never closes its <script>): 1.25 bytes per byte.
 */
import type { Params } from "./api";

/** `[status, JSON value]`, or `[status, byte length, base85 text]` for a binary answer. */
type Answer = [number, unknown] | [number, number, string];

interface Embedded {
  answers: Record<string, Answer>;
}

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~";

/** The map key of a route with its parameters (tb_suite/export/embed.py `key`). */
export function embeddedKey(route: string, params: Params = {}): string {
  const entries = Object.entries(params).map(([k, v]) => [k, String(v)]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify([route, entries]);
}

export function decodeBase85(text: string, length: number): Uint8Array<ArrayBuffer> {
  const digit = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) digit[ALPHABET.charCodeAt(i)] = i;
  const out = new Uint8Array(Math.ceil(text.length / 5) * 4);
  let o = 0;
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      // A short last group is padded with the highest digit, as Python's b85decode does.
      const d = i + j < text.length ? digit[text.charCodeAt(i + j)] : 84;
      if (d < 0) throw new Error(`embedded data: bad base85 character at ${i + j}`);
      value = value * 85 + d;
    }
    out[o++] = (value >>> 24) & 255;
    out[o++] = (value >>> 16) & 255;
    out[o++] = (value >>> 8) & 255;
    out[o++] = value & 255;
  }
  return out.slice(0, length);
}

let cached: Embedded | null | undefined;

function embedded(): Embedded | null {
  if (cached === undefined) {
    const node = typeof document === "undefined" ? null : document.getElementById("tbs-embedded");
    cached = node?.textContent ? (JSON.parse(node.textContent) as Embedded) : null;
  }
  return cached;
}

/** The embedded answer to a route as a Response; null when the page is not an export (then fetch). */
export function embeddedResponse(route: string, params: Params = {}): Response | null {
  const data = embedded();
  if (!data) return null;
  const answer = data.answers[embeddedKey(route, params)];
  if (!answer) {
    const error = JSON.stringify({ error: `${route}: not included in this export` });
    return new Response(error, { status: 404, headers: { "Content-Type": "application/json" } });
  }
  if (answer.length === 3) {
    const bytes = decodeBase85(answer[2], answer[1]);
    return new Response(bytes, { status: answer[0], headers: { "Content-Type": "application/octet-stream" } });
  }
  return new Response(JSON.stringify(answer[1]), { status: answer[0], headers: { "Content-Type": "application/json" } });
}
