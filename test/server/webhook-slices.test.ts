import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_SLICE } from "@/lib/triage/intake-webhook";
import { startTestConsole, type TestConsole } from "@/test/helpers/console";

// A big notification must give the event loop turns while it is taken (health checks, the alert list):
// a callback scheduled meanwhile runs before the work is over. Nothing here depends on how fast the
// machine is, only on the order of events. The worker's turns between jobs: test/jobs/worker.test.ts.
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
  it("runs a callback scheduled during intakeWebhook before the notification is stored", async () => {
    const s = await tc.services();
    await s.worker.stop();
    const alerts = resolvedAlerts(4 * WEBHOOK_SLICE, "a");
    let ranDuring = false;
    let done = false;
    setImmediate(() => {
      ranDuring = !done;
    });
    const out = await s.triage.intakeWebhook({ version: "4", status: "resolved", receiver: "r", alerts }, "req-1");
    done = true;
    expect(out.resolved).toBe(alerts.length);
    expect(ranDuring).toBe(true);
  });
});

describe("resolved alerts", () => {
  it("leave a resolve job only for fingerprints with an analysis or an issue, and count all as resolved", async () => {
    const s = await tc.services();
    await s.worker.stop();
    const before = new Set((await s.store.listJobs({ kind: "resolve", limit: 1000 })).map((j) => j.id));
    const [analyzed, filed, ...unknown] = resolvedAlerts(WEBHOOK_SLICE + 3, "k");
    if (!analyzed || !filed) throw new Error("fixture");
    await s.store.createAnalysis({ fingerprint: analyzed.fingerprint, trigger: "manual", status: "done", episode: analyzed.startsAt });
    await s.store.issueRegistry().saveIssue(filed.fingerprint, { number: 7, url: "https://github.com/acme/incidents/issues/7" });
    // The known ones sit in the second slice, behind a full slice of alerts the console never saw.
    const alerts = [...unknown, analyzed, filed];
    const envelope = { version: "4", status: "resolved" as const, receiver: "r", alerts };

    const out = await s.triage.intakeWebhook(envelope, "req-2");
    expect(out).toMatchObject({ resolved: alerts.length, duplicates: 0, queued: 0 });
    const jobs = (await s.store.listJobs({ kind: "resolve", limit: 1000 })).filter((j) => !before.has(j.id));
    expect(jobs.map((j) => j.payload).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { fingerprint: analyzed.fingerprint, endsAt: analyzed.endsAt },
      { fingerprint: filed.fingerprint, endsAt: filed.endsAt },
    ]);

    // Alertmanager repeats resolved notifications: the known ones' jobs exist already.
    const again = await s.triage.intakeWebhook(envelope, "req-3");
    expect(again).toMatchObject({ resolved: unknown.length, duplicates: 2 });
    expect((await s.store.listJobs({ kind: "resolve", limit: 1000 })).filter((j) => !before.has(j.id))).toHaveLength(2);
  });
});
