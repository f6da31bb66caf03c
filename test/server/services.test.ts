import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { createLogger } from "@/lib/log";
import { openStore } from "@/lib/store";
import { createServices, type Services } from "@/lib/server/services";

// Tests build services from a configuration, side by side, without the process singleton.

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function demoConfig(dir: string, name: string) {
  return parseConfig({ NODE_ENV: "test", DEMO: "1", LOG_LEVEL: "silent", HOST: "127.0.0.1", DATABASE_URL: `file:${join(dir, `${name}.sqlite`)}`, ANALYSIS_COOLDOWN_SECONDS: "0" });
}

async function build(...args: Parameters<typeof createServices>): Promise<Services> {
  const s = await createServices(...args);
  cleanups.push(async () => {
    await s.worker.stop();
    await s.store.close();
  });
  return s;
}

describe("createServices(config)", () => {
  it("builds independent services from two configurations in one process, leaving the singleton alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "triage-services-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const log = createLogger("silent");
    const a = await build(demoConfig(dir, "a"), { log });
    const b = await build(demoConfig(dir, "b"), { log });

    const { alerts } = await a.alerts.listAlerts();
    const firing = alerts.find((x) => x.labels.namespace && x.labels.pod);
    if (!firing) throw new Error("the demo has no alert with a pod");
    const started = await a.triage.startAnalysis({ fingerprint: firing.fingerprint, user: "tester", trigger: "manual" });
    expect(started.joined).toBe(false);
    await a.worker.drain({ timeoutMs: 60_000 });

    const done = await a.store.getAnalysis(started.id);
    expect(done).toMatchObject({ status: "done", fingerprint: firing.fingerprint, trigger: "manual", startedBy: "tester" });
    expect((await a.store.listJobs({ kind: "analyze" })).map((j) => ({ analysisId: j.analysisId, payload: j.payload }))).toEqual([
      { analysisId: started.id, payload: { analysisId: started.id, file: false } },
    ]);
    expect((await b.store.listAnalyses()).items).toEqual([]);
    expect((globalThis as { __triageServices?: unknown }).__triageServices).toBeUndefined();
  }, 90_000);

  it("takes the parts it is given instead of building them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "triage-services-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = await openStore(`file:${join(dir, "given.sqlite")}`);
    const s = await build(demoConfig(dir, "unused"), { store, log: createLogger("silent") });
    expect(s.store).toBe(store);
    const out = await s.triage.intakeWebhook({
      version: "4",
      status: "firing",
      receiver: "r",
      alerts: [{ status: "firing", labels: { alertname: "ModelPodOOMKilled", severity: "critical", namespace: "ml", pod: "p-0" }, annotations: {}, startsAt: "2026-11-20T13:00:00Z", fingerprint: "abc123" }],
    });
    expect(out).toMatchObject({ queued: 1, duplicates: 0 });
    expect((await store.listAnalyses()).items.map((i) => i.fingerprint)).toEqual(["abc123"]);
  });
});
