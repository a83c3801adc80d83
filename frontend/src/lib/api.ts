/** Client for a plugin's routes (relative URLs: the iframe's <base> points at the plugin). */
import { decodeWire, type WireRecord } from "./wire";
import { embeddedResponse } from "./embedded";

export type Params = Record<string, string | number>;

/** A failed request; `message` is the server's `{error}` text when it sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function routeUrl(route: string, params: Params = {}): string {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  return query ? `./${route}?${query}` : `./${route}`;
}

async function request(route: string, params: Params, signal?: AbortSignal): Promise<Response> {
  // A standalone export (tb-suite export) answers from the data embedded in the page.
  let response = await embeddedResponse(route, params);
  try {
    response ??= await fetch(routeUrl(route, params), { signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(`${route}: network error (${(e as Error).message})`, 0);
  }
  if (!response.ok) throw new ApiError(await errorText(response, route), response.status);
  return response;
}

async function errorText(response: Response, route: string): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `${route}: HTTP ${response.status} ${response.statusText}`.trim();
}

export async function getJson<T>(route: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  return (await (await request(route, params, signal)).json()) as T;
}

export async function getRecord<M>(route: string, params: Params, signal?: AbortSignal): Promise<WireRecord<M>> {
  return decodeWire<M>(await (await request(route, params, signal)).arrayBuffer());
}

/** `GET tags`: `{run: {tag: {steps, meta}}}`. */
export interface TagInfo<M = Record<string, unknown>> {
  steps: number[];
  meta: M;
}
export type TagsResponse<M = Record<string, unknown>> = Record<string, Record<string, TagInfo<M>>>;
