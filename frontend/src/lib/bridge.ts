/**
 * TensorBoard host bridge. The iframe posts "experimental.bootstrap" to its parent with a
 * MessageChannel port; both sides then exchange JSON strings `{type, id, payload, error, isReply}`.
 * Outside TensorBoard (no parent frame) the bridge is inert and callers fall back to `./tags`.
 */

/** The host messages the tabs listen to. */
export const MessageType = {
  RunsChanged: "experimental.RunsChanged",
  DataReloaded: "experimental.DataReloaded",
} as const;

interface Message {
  type: string;
  id: number;
  payload: unknown;
  error: string | null;
  isReply: boolean;
}

/** The part of MessagePort the bridge uses (tests pass a fake). */
export interface PortLike {
  postMessage(data: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  start(): void;
}

type Listener = (payload: unknown) => unknown;

export class HostBridge {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly port: PortLike | null,
    private readonly timeoutMs = 3000,
  ) {
    port?.addEventListener("message", (event) => void this.onMessage(event.data));
    port?.start();
  }

  get connected(): boolean {
    return this.port !== null;
  }

  /** Sends a request; rejects on an error reply, on timeout, or when not connected. */
  request(type: string, payload: unknown = null): Promise<unknown> {
    const port = this.port;
    if (!port) return Promise.reject(new Error("not inside TensorBoard"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type}: no answer from TensorBoard`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      port.postMessage(JSON.stringify({ type, id, payload, error: null, isReply: false } satisfies Message));
    });
  }

  /** Subscribes to host messages of one type; returns the unsubscribe function. */
  on(type: string, listener: Listener): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
    return () => set.delete(listener);
  }

  private async onMessage(data: unknown): Promise<void> {
    let message: Message;
    try {
      message = JSON.parse(String(data)) as Message;
    } catch {
      return;
    }
    if (message.isReply) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(String(message.error)));
      else waiter.resolve(message.payload);
      return;
    }
    let payload: unknown = null;
    let error: string | null = null;
    for (const listener of this.listeners.get(message.type) ?? []) {
      try {
        payload = (await listener(message.payload)) ?? null;
      } catch (e) {
        error = String(e);
      }
    }
    // The host awaits a reply to every message it sends.
    this.port?.postMessage(
      JSON.stringify({ type: message.type, id: message.id, payload, error, isReply: true } satisfies Message),
    );
  }
}

/** Connects to the TensorBoard frame when there is one. */
export function connectToHost(win: Window = window): HostBridge {
  if (win.parent === win || typeof MessageChannel === "undefined") return new HostBridge(null);
  const channel = new MessageChannel();
  const bridge = new HostBridge(channel.port1);
  win.parent.postMessage("experimental.bootstrap", "*", [channel.port2]);
  return bridge;
}

let shared: HostBridge | null = null;

/** The page's one bridge (bootstrapping twice would confuse the host). */
export function hostBridge(): HostBridge {
  shared ??= connectToHost();
  return shared;
}
