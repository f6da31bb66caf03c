import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { acceptWebhook, WEBHOOK_SLICE } from "@/lib/server/triage";
import { startTestConsole, type TestConsole } from "@/test/helpers/console";

// A big notification and the resolve jobs it leaves must give the event loop turns while they run
// (health checks, the alert list): a callback scheduled meanwhile runs before the work is over.
// Nothing here depends on how fast the machine is, only on the order of events.
let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_FILE_SEVERITIES: "none" });
});
afterAll(async () => {
  await tc?.stop();
});

function resolvedAlerts(n: number, tag: string) {
  return Array.from({ length: n }, (_, i) => ({
    status: "resolved",
    labels: { alertname: "ModelPodNotRunning", namespace: "ml-batch", pod: `${tag}-${i}` },
    annotations: {},
    startsAt: "2026-11-20T13:00:00Z",
    endsAt: "2026-11-20T14:00:00Z",
    fingerprint: `${tag}${i.toString(16).padStart(12, "0")}`,
  }));
}

describe("big notifications yield to the event loop", () => {
  it("runs a callback scheduled during acceptWebhook before the notification is stored", async () => {
    const s = await tc.services();
    await s.worker.stop();
    const alerts = resolvedAlerts(4 * WEBHOOK_SLICE, "a");
    let ranDuring = false;
    let done = false;
    setImmediate(() => {
      ranDuring = !done;
    });
    const out = await acceptWebhook(s, { version: "4", status: "resolved", receiver: "r", alerts }, "req-1");
    done = true;
    expect(out.resolved).toBe(alerts.length);
    expect(ranDuring).toBe(true);
  });

  it("runs a callback scheduled while resolve jobs drain before they are all done", async () => {
    const s = await tc.services();
    const total = (await s.store.jobCounts()).queued;
    expect(total).toBe(4 * WEBHOOK_SLICE);
    const marked = vi.spyOn(s.store, "markResolved");
    let seenAtImmediate = -1;
    setImmediate(() => {
      seenAtImmediate = marked.mock.calls.length;
    });
    for (const w of s.workers) await w.start();
    await s.worker.drain({ timeoutMs: 300_000 });
    expect(marked.mock.calls.length).toBe(total);
    expect(seenAtImmediate).toBeGreaterThanOrEqual(0);
    expect(seenAtImmediate).toBeLessThan(total);
    marked.mockRestore();
  }, 600_000);
});
