/**
 * Route answers embedded in a standalone export (`tb-suite export`, tb_suite/export/embed.py): the page
 * holds `<script type="application/octet-stream" id="tbs-embedded" data-length=N>`, base85 (Python's
 * `base64.b85encode` alphabet with "<" written as ".") of N gzip bytes of
 * `uint32 LE index length | index JSON {key: [status, offset, length, isJson]} | bodies`.
 * `api.ts` answers from it instead of fetching; in an export a route it lacks is a 404, so no request
 * ever leaves the page.
 */
import type { Params } from "./api";

interface Embedded {
  index: Record<string, [number, number, number, number]>;
  bodies: Uint8Array<ArrayBuffer>;
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

async function unpack(text: string, length: number): Promise<Embedded> {
  const compressed = decodeBase85(text, length);
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip"));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const indexLength = new DataView(bytes.buffer).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + indexLength))) as Embedded["index"];
  return { index, bodies: bytes.subarray(4 + indexLength) };
}

let loaded: Promise<Embedded> | null | undefined;

function embedded(): Promise<Embedded> | null {
  if (loaded === undefined) {
    const node = typeof document === "undefined" ? null : document.getElementById("tbs-embedded");
    loaded = node?.textContent ? unpack(node.textContent.trim(), Number(node.dataset.length)) : null;
  }
  return loaded;
}

/** The embedded answer to a route; null when the page is not an export (then fetch). */
export async function embeddedResponse(route: string, params: Params = {}): Promise<Response | null> {
  const data = embedded();
  if (!data) return null;
  const { index, bodies } = await data;
  const entry = index[embeddedKey(route, params)];
  if (!entry) {
    const error = JSON.stringify({ error: `${route}: not included in this export` });
    return new Response(error, { status: 404, headers: { "Content-Type": "application/json" } });
  }
  const [status, offset, length, isJson] = entry;
  const type = isJson ? "application/json" : "application/octet-stream";
  return new Response(bodies.slice(offset, offset + length), { status, headers: { "Content-Type": type } });
}
