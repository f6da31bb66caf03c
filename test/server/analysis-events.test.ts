import { describe, expect, it } from "vitest";
import { analysisEventsResponse } from "@/lib/server/analysis-events";
import { ProgressBus } from "@/lib/server/progress-bus";
import { progressStreamEvents, readStreamEvent, type Analysis } from "@/lib/analysis/api";

const running: Analysis = { id: "a1", fingerprint: "fp", status: "running", trigger: "manual", createdAt: "2026-12-06T10:00:00.000Z", progress: {} };
const done: Analysis = { ...running, status: "done", markdown: "## Root-cause analysis\n", finishedAt: "2026-12-06T10:01:00.000Z" };

/** Parse a text/event-stream body into its named events. */
function parseEvents(text: string): { event: string; data: string }[] {
  return text
    .split("\n\n")
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? "",
      data: /^data: (.*)$/m.exec(block)?.[1] ?? "",
    }))
    .filter((e) => e.event);
}

describe("the progress stream", () => {
  it("sends events the browser's schemas read: stored progress, live progress, then done with the finished analysis", async () => {
    const bus = new ProgressBus();
    let current = running;
    const store = { getAnalysis: async (id: string) => (id === current.id ? current : undefined) };
    const abort = new AbortController();
    const res = analysisEventsResponse({ store, bus }, running, abort.signal);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const body = res.text();
    await new Promise((r) => setTimeout(r, 20));
    bus.publish("a1", { type: "progress", progress: { pod: { status: "done" }, logs: { status: "started", detail: "tail 500" } } });
    current = done;
    bus.publish("a1", { type: "done", status: "done" });
    const events = parseEvents(await body);
    expect(events.map((e) => e.event)).toEqual(["progress", "progress", "done"]);
    expect(readStreamEvent(progressStreamEvents.progress, events[0]?.data ?? "")).toEqual({});
    expect(readStreamEvent(progressStreamEvents.progress, events[1]?.data ?? "")).toEqual({
      pod: { status: "done" },
      logs: { status: "started", detail: "tail 500" },
    });
    expect(readStreamEvent(progressStreamEvents.done, events[2]?.data ?? "")?.analysis).toMatchObject({ id: "a1", status: "done", markdown: done.markdown });
  });

  it("tells the browser to reconnect when the process shuts down", async () => {
    const bus = new ProgressBus();
    const store = { getAnalysis: async () => running };
    const res = analysisEventsResponse({ store, bus }, running, new AbortController().signal);
    const body = res.text();
    await new Promise((r) => setTimeout(r, 20));
    bus.close();
    const text = await body;
    expect(text).toContain("retry: 2000\n");
    const reconnect = parseEvents(text).find((e) => e.event === "reconnect");
    expect(readStreamEvent(progressStreamEvents.reconnect, reconnect?.data ?? "")?.reason).toMatch(/shutting down/);
  });

  it("leaves out steps and statuses the page does not know instead of dropping the whole progress", () => {
    expect(readStreamEvent(progressStreamEvents.progress, JSON.stringify({ pod: { status: "done" }, telepathy: { status: "done" }, logs: { status: "weird" } }))).toEqual({
      pod: { status: "done" },
    });
    expect(readStreamEvent(progressStreamEvents.progress, "not json")).toBeUndefined();
  });
});
