import { describe, expect, it, vi } from "vitest";
import { HostBridge, MessageType, connectToHost, type PortLike } from "./bridge";

/** An in-memory port: `sent` records what the guest posted, `deliver` plays the host. */
class FakePort implements PortLike {
  sent: Record<string, unknown>[] = [];
  started = false;
  private listener: ((event: { data: unknown }) => void) | null = null;
  postMessage(data: string) {
    this.sent.push(JSON.parse(data));
  }
  addEventListener(_type: "message", listener: (event: { data: unknown }) => void) {
    this.listener = listener;
  }
  start() {
    this.started = true;
  }
  deliver(message: Record<string, unknown>) {
    this.listener?.({ data: JSON.stringify(message) });
  }
}

// Host requests the tabs do not send; the bridge's request/reply machinery is generic.
const GET_RUNS = "experimental.GetRuns";
const GET_URL_DATA = "experimental.GetURLPluginData";

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("HostBridge", () => {
  it("sends a request and resolves with the reply payload", async () => {
    const port = new FakePort();
    const bridge = new HostBridge(port);
    expect(port.started).toBe(true);
    const runs = bridge.request(GET_RUNS);
    expect(port.sent[0]).toEqual({ type: GET_RUNS, id: 0, payload: null, error: null, isReply: false });
    port.deliver({ type: GET_RUNS, id: 0, payload: ["a", "b"], error: null, isReply: true });
    await expect(runs).resolves.toEqual(["a", "b"]);
  });

  it("matches replies by id and rejects on error replies", async () => {
    const port = new FakePort();
    const bridge = new HostBridge(port);
    const first = bridge.request(GET_URL_DATA);
    const second = bridge.request(GET_RUNS);
    port.deliver({ type: GET_RUNS, id: 1, payload: ["x"], error: null, isReply: true });
    port.deliver({ type: GET_URL_DATA, id: 0, payload: null, error: "boom", isReply: true });
    await expect(second).resolves.toEqual(["x"]);
    await expect(first).rejects.toThrow("boom");
  });

  it("calls listeners for host messages and replies to each", async () => {
    const port = new FakePort();
    const bridge = new HostBridge(port);
    const onRuns = vi.fn();
    const off = bridge.on(MessageType.RunsChanged, onRuns);
    port.deliver({ type: MessageType.RunsChanged, id: 7, payload: ["r1"], error: null, isReply: false });
    await flush();
    expect(onRuns).toHaveBeenCalledWith(["r1"]);
    expect(port.sent.at(-1)).toEqual({ type: MessageType.RunsChanged, id: 7, payload: null, error: null, isReply: true });
    off();
    port.deliver({ type: MessageType.RunsChanged, id: 8, payload: [], error: null, isReply: false });
    await flush();
    expect(onRuns).toHaveBeenCalledTimes(1);
    // Unknown types are still answered so the host does not wait forever.
    port.deliver({ type: MessageType.DataReloaded, id: 9, payload: null, error: null, isReply: false });
    await flush();
    expect(port.sent.at(-1)).toMatchObject({ id: 9, isReply: true });
  });

  it("ignores garbage and stray replies", async () => {
    const port = new FakePort();
    new HostBridge(port);
    port.deliver({ type: "x", id: 99, payload: 1, error: null, isReply: true });
    (port as unknown as { listener: (e: { data: unknown }) => void }).listener({ data: "not json" });
    await flush();
    expect(port.sent).toEqual([]);
  });

  it("times out when the host never answers", async () => {
    vi.useFakeTimers();
    const bridge = new HostBridge(new FakePort(), 50);
    const p = bridge.request(GET_RUNS);
    vi.advanceTimersByTime(60);
    await expect(p).rejects.toThrow(/no answer/);
    vi.useRealTimers();
  });

  it("is inert outside TensorBoard", async () => {
    const bridge = connectToHost(window);
    expect(bridge.connected).toBe(false);
    await expect(bridge.request(GET_RUNS)).rejects.toThrow("not inside TensorBoard");
  });

  it("bootstraps with the parent by transferring a port", () => {
    const postMessage = vi.fn();
    const fakeWindow = { parent: { postMessage } } as unknown as Window;
    const bridge = connectToHost(fakeWindow);
    expect(bridge.connected).toBe(true);
    expect(postMessage).toHaveBeenCalledTimes(1);
    const [message, origin, transfer] = postMessage.mock.calls[0];
    expect(message).toBe("experimental.bootstrap");
    expect(origin).toBe("*");
    expect(transfer).toHaveLength(1);
    expect(transfer[0]).toBeInstanceOf(MessagePort);
  });
});
